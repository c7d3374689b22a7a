package main

import (
	"crypto/sha256"
	"encoding/hex"
	"os/exec"
	"regexp"
	"strings"

	"github.com/prewarm-dev/prewarm/tests/internal/shells"
)

// scriptFacts renders every script the bench runs and reads what the npm
// restore path does.
func (b *bench) scriptFacts() *ScriptFacts {
	f := &ScriptFacts{SHA256: map[string]string{}}
	if out, err := exec.Command("git", "-C", b.cfg.root, "rev-parse", "--short=12", "HEAD").Output(); err == nil {
		f.GitHead = strings.TrimSpace(string(out))
	}
	if out, err := exec.Command("git", "-C", b.cfg.root, "status", "--porcelain", "--", "templates-go/scripts").Output(); err == nil {
		for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				f.Dirty = append(f.Dirty, l)
			}
		}
	}
	for _, eco := range []string{"npm", "gomod", "pip", "cargo", "maven", "prune"} {
		if s, err := b.script(eco); err == nil {
			sum := sha256.Sum256([]byte(s))
			f.SHA256[eco] = hex.EncodeToString(sum[:])[:12]
		}
	}
	if s, err := b.script("npm"); err == nil {
		f.ChecksumConcurrent = checksumConcurrent(s)
		f.KeyProbe = keyProbe(s)
	}
	return f
}

// checksumConcurrent: inside pw_snapshot_restore or the per-shard
// pw_snapshot_x1 it calls, a background job (a line ending in "&") computes
// the checksum (pw_sum or pw_snapshot_sum1).
func checksumConcurrent(script string) bool {
	body := shells.Func(script, "pw_snapshot_restore") + "\n" + shells.Func(script, "pw_snapshot_x1")
	for _, l := range strings.Split(body, "\n") {
		l = strings.TrimSpace(l)
		if (strings.Contains(l, "pw_sum") || strings.Contains(l, "pw_snapshot_sum1")) && strings.HasSuffix(l, "&") && !strings.HasSuffix(l, "&&") {
			return true
		}
	}
	return false
}

var npmVersionRE = regexp.MustCompile(`\$\((?:"\$pm"|npm) --version`)

// keyProbe: how pw_npm_workdir learns npm's version for the key.
func keyProbe(script string) string {
	body := shells.Func(script, "pw_npm_workdir")
	key := strings.Index(body, "pw_key")
	if key < 0 {
		key = len(body)
	}
	head := body[:key]
	if strings.Contains(head, "pw_npm_version") {
		return "package.json read by the shell"
	}
	if i := strings.Index(head, "node -e"); i >= 0 {
		return "node -e"
	}
	if npmVersionRE.MatchString(head) {
		return "npm --version"
	}
	return "unknown"
}
