package scripts

// Tests of prewarm.script.lib's functions, called one at a time through a
// driver script (`lib; pw_init ECO; "$@"`) under dash and busybox sh.

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// ecoLibDriver calls one library function the way the ecosystem scripts do
// (`fn args || rc=$?`, so set -e does not apply inside) and exits with its
// status.
func ecoLibDriver(t *testing.T) string {
	return "#!/bin/sh\n" + ecoScript(t, "lib") + "\npw_init \"${PW_TEST_ECO:-npm}\"\nrc=0\n\"$@\" || rc=$?\nexit \"$rc\"\n"
}

func ecoLib(t *testing.T, sh ecoShell, dir string, env []string, args ...string) ecoRun {
	t.Helper()
	return ecoRunScript(t, sh, ecoLibDriver(t), "prewarm-libtest", dir, env, time.Minute, args...)
}

// ecoLibEnv points cache, home and repo into base. Shards of at least 1 KiB
// (not 1 MiB) split the small sample trees into several shards.
func ecoLibEnv(base string, extra ...string) []string {
	return append([]string{
		"PREWARM_SNAPSHOT_SHARD_MIN_KB=1",
		"PREWARM_CACHE=" + filepath.Join(base, "cache"),
		"PREWARM_HOME=" + filepath.Join(base, "home"),
		"PREWARM_REPO=" + filepath.Join(base, "repo"),
	}, extra...)
}

// ecoSampleTree writes a tree with the shapes node_modules and venvs have.
func ecoSampleTree(t *testing.T, root string, variant string) {
	t.Helper()
	long := filepath.Join(root, strings.Repeat("l", 90), strings.Repeat("m", 90))
	files := map[string]string{
		"a/index.js":                    "module.exports = 1 // " + variant,
		"a/package.json":                `{"name":"a"}`,
		"@scope/b/lib/x.js":             strings.Repeat("x", 70000),
		"with space/file.txt":           "spaces",
		".bin-target/tool":              "#!/bin/sh\necho tool\n",
		".hidden/.dotfile":              "dot",
		"variant.txt":                   variant,
		filepath.Join(long, "deep.txt"): "deep",
	}
	for p, c := range files {
		full := p
		if !filepath.IsAbs(p) {
			full = filepath.Join(root, p)
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Join(root, ".bin-target/tool"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, ".bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../.bin-target/tool", filepath.Join(root, ".bin/tool")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "empty-dir"), 0o755); err != nil {
		t.Fatal(err)
	}
}

// ecoSnapshotSuffix ends the name of every snapshot in layout v2: the
// directory snapshots/<key>.v2 (docs/caching.md).
const ecoSnapshotSuffix = ".v2"

// ecoSnapshotKey is the key a final snapshot name stands for.
func ecoSnapshotKey(name string) string { return strings.TrimSuffix(name, ecoSnapshotSuffix) }

// ecoManifest is a parsed snapshot manifest: the checksum algorithm and
// the codec ("none" when the manifest has no codec line, as before codecs
// existed), shard file names in order with their recorded checksum, and
// the split directories' modes.
type ecoManifest struct {
	algo   string
	codec  string
	shards []string
	sums   []string
	dirs   map[string]string
}

func ecoReadManifest(dir string) (*ecoManifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, "manifest"))
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) < 3 || lines[0] != "prewarm-snapshot-v2" || !strings.HasPrefix(lines[1], "algo=") {
		return nil, fmt.Errorf("bad manifest header: %q", lines)
	}
	m := &ecoManifest{algo: strings.TrimPrefix(lines[1], "algo="), codec: "none", dirs: map[string]string{}}
	rest := lines[2 : len(lines)-1]
	if len(rest) > 0 && strings.HasPrefix(rest[0], "codec=") {
		m.codec, rest = strings.TrimPrefix(rest[0], "codec="), rest[1:]
	}
	for _, l := range rest {
		f := strings.SplitN(l, " ", 3)
		switch {
		case len(f) == 3 && f[0] == "dir":
			m.dirs[f[2]] = f[1]
		case len(f) == 3 && f[0] == "shard":
			m.shards = append(m.shards, f[1])
			m.sums = append(m.sums, f[2])
		default:
			return nil, fmt.Errorf("bad manifest line %q", l)
		}
	}
	if want := fmt.Sprintf("end shards=%d", len(m.shards)); lines[len(lines)-1] != want {
		return nil, fmt.Errorf("manifest ends with %q, want %q", lines[len(lines)-1], want)
	}
	return m, nil
}

// ecoSnapshotValid checks a snapshot directory independently of the
// scripts: the manifest is complete, every shard it lists exists, matches
// its recorded checksum (POSIX cksum or sha256, of the stored bytes),
// carries the codec's file suffix, decompresses (with the real zstd or
// lz4 command) into a complete tar archive, and no path is in two shards.
func ecoSnapshotValid(dir string) error {
	m, err := ecoReadManifest(dir)
	if err != nil {
		return err
	}
	seen := map[string]string{}
	for i, name := range m.shards {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		var got string
		switch m.algo {
		case "cksum":
			got = fmt.Sprintf("%d-%d", ecoPosixCksum(data), len(data))
		case "sha256":
			sum := sha256.Sum256(data)
			got = hex.EncodeToString(sum[:])
		default:
			return fmt.Errorf("unknown algo %q", m.algo)
		}
		if got != m.sums[i] {
			return fmt.Errorf("shard %s: manifest records %s %q, data has %q", name, m.algo, m.sums[i], got)
		}
		ext, ok := ecoCodecExt[m.codec]
		if !ok {
			return fmt.Errorf("unknown codec %q", m.codec)
		}
		if !strings.HasSuffix(name, ".tar"+ext) {
			return fmt.Errorf("shard %s of a %s snapshot does not end in .tar%s", name, m.codec, ext)
		}
		if m.codec != "none" {
			cmd := exec.Command(m.codec, "-q", "-d", "-c")
			cmd.Stdin = bytes.NewReader(data)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if data, err = cmd.Output(); err != nil {
				return fmt.Errorf("shard %s: %s -d: %v %s", name, m.codec, err, stderr.String())
			}
		}
		tr := tar.NewReader(bytes.NewReader(data))
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return fmt.Errorf("shard %s: %v", name, err)
			}
			if h.Name != "./" && h.Name != "." {
				if other, dup := seen[h.Name]; dup {
					return fmt.Errorf("%s is in shards %s and %s", h.Name, other, name)
				}
				seen[h.Name] = name
			}
			if _, err := io.Copy(io.Discard, tr); err != nil {
				return fmt.Errorf("shard %s: %v", name, err)
			}
		}
	}
	return nil
}

// ecoCodecExt is each codec's shard suffix after ".tar" (docs/caching.md).
var ecoCodecExt = map[string]string{"none": "", "zstd": ".zst", "lz4": ".lz4"}

// ecoCodecs are the codecs a publish can write on this machine: none, and
// zstd and lz4, which tests/install-deps.sh installs (a missing one fails
// the test that needs it: it is never skipped).
var ecoCodecs = []string{"none", "zstd", "lz4"}

// ecoBiggestShard is the path of the snapshot's largest shard.
func ecoBiggestShard(t *testing.T, dir string) string {
	t.Helper()
	m, err := ecoReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	best, size := "", int64(-1)
	for _, s := range m.shards {
		if info, err := os.Stat(filepath.Join(dir, s)); err == nil && info.Size() > size {
			best, size = filepath.Join(dir, s), info.Size()
		}
	}
	if best == "" {
		t.Fatalf("snapshot %s has no shard", dir)
	}
	return best
}

// ecoPosixCksum is POSIX cksum's CRC: polynomial 0x04C11DB7, MSB first,
// over the data and then its length in the fewest bytes, complemented.
func ecoPosixCksum(data []byte) uint32 {
	var table [256]uint32
	for i := range table {
		c := uint32(i) << 24
		for j := 0; j < 8; j++ {
			if c&0x80000000 != 0 {
				c = c<<1 ^ 0x04C11DB7
			} else {
				c <<= 1
			}
		}
		table[i] = c
	}
	var crc uint32
	add := func(b byte) { crc = crc<<8 ^ table[byte(crc>>24)^b] }
	for _, b := range data {
		add(b)
	}
	for l := len(data); l > 0; l >>= 8 {
		add(byte(l))
	}
	return ^crc
}

const ecoTestKey = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestLibWorkdirsAcceptRelativeAndRejectAbsoluteOrDotDot(t *testing.T) {
	for _, sh := range ecoShells(t) {
		t.Run(sh.name, func(t *testing.T) {
			base := ecoTempDir(t)
			for _, c := range []struct{ in, want, msg string }{
				{in: "a\n\n  b/c  \n./d\n", want: "a\nb/c\n./d\n"},
				{in: "", want: ".\n"},
				{in: "\n \n", want: ".\n"},
				{in: "pkg/a..b", want: "pkg/a..b\n"},
				{in: "/etc", msg: "must be relative"},
				{in: "a\n/abs/b", msg: "must be relative"},
				{in: "..", msg: "'..' is not allowed"},
				{in: "a/../../x", msg: "'..' is not allowed"},
				{in: "a/..", msg: "'..' is not allowed"},
			} {
				r := ecoLib(t, sh, base, ecoLibEnv(base, "PREWARM_WORKDIRS="+c.in), "pw_workdirs")
				ecoWantOutcome(t, fmt.Sprintf("PREWARM_WORKDIRS=%q", c.in), r, c.want, c.msg)
			}
		})
	}
}

func TestLibInitRejectsInvalidSettings(t *testing.T) {
	for _, sh := range ecoShells(t) {
		t.Run(sh.name, func(t *testing.T) {
			base := ecoTempDir(t)
			for _, c := range []struct{ env, msg string }{
				{"PREWARM_CACHE_MODE=rw", "PREWARM_CACHE_MODE must be readWrite or readOnly"},
				{"PREWARM_SNAPSHOTS=yes", "PREWARM_SNAPSHOTS must be true or false"},
				{"PREWARM_SNAPSHOT_COMPRESSION=gzip", "PREWARM_SNAPSHOT_COMPRESSION must be auto, none, zstd or lz4, not 'gzip'"},
				{"PREWARM_SNAPSHOT_COMPRESSION=ZSTD", "PREWARM_SNAPSHOT_COMPRESSION must be auto, none, zstd or lz4, not 'ZSTD'"},
				{"PREWARM_CACHE=relative/cache", "PREWARM_CACHE must be an absolute path"},
				{"PREWARM_REPO=repo", "PREWARM_REPO must be an absolute path"},
			} {
				ecoWantOutcome(t, c.env, ecoLib(t, sh, base, ecoLibEnv(base, c.env), "true"), "", c.msg)
			}
			// HOME is created and exported.
			r := ecoLib(t, sh, base, ecoLibEnv(base), "sh", "-c", `printf '%s\n' "$HOME"`)
			if r.exitCode != 0 || strings.TrimSpace(r.stdout) != filepath.Join(base, "home") {
				t.Errorf("HOME: %s", r)
			}
			if _, err := os.Stat(filepath.Join(base, "home")); err != nil {
				t.Errorf("HOME not created: %v", err)
			}
		})
	}
}

func TestLibKeyIsIdenticalAcrossShellsAndChangesWithEveryInput(t *testing.T) {
	base := ecoTempDir(t)
	lock := filepath.Join(base, "package-lock.json")
	key := func(sh ecoShell, content string, env []string, args ...string) string {
		t.Helper()
		if err := os.WriteFile(lock, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		r := ecoLib(t, sh, base, ecoLibEnv(base, env...), append([]string{"pw_key"}, args...)...)
		k := strings.TrimSpace(r.stdout)
		if r.exitCode != 0 || !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(k) {
			t.Fatalf("%s: pw_key gave %q\n%s", sh.name, k, r)
		}
		return k
	}
	keys := map[string]string{}
	for _, sh := range ecoShells(t) {
		keys[sh.name] = key(sh, "lock-v1", nil, "node=v20", "package-lock.json")
	}
	if keys["dash"] != keys["busybox"] {
		t.Fatalf("same inputs, different keys: dash %s, busybox %s", keys["dash"], keys["busybox"])
	}
	sh := ecoShellNamed(t, "busybox")
	variants := map[string]string{
		"lockfile content":  key(sh, "lock-v2", nil, "node=v20", "package-lock.json"),
		"toolchain":         key(sh, "lock-v1", nil, "node=v22", "package-lock.json"),
		"salt":              key(sh, "lock-v1", []string{"PREWARM_KEY_SALT=s1"}, "node=v20", "package-lock.json"),
		"ecosystem":         key(sh, "lock-v1", []string{"PW_TEST_ECO=pip"}, "node=v20", "package-lock.json"),
		"extra lockfile":    key(sh, "lock-v1", nil, "node=v20", "package-lock.json", "npm-shrinkwrap.json"),
		"no lockfile names": key(sh, "lock-v1", nil, "node=v20"),
	}
	seen := map[string]string{keys["dash"]: "base"}
	for what, k := range variants {
		if prev, dup := seen[k]; dup {
			t.Errorf("changing the %s gives the same key as %s (%s)", what, prev, k)
		}
		seen[k] = what
	}
}

// TestLibSnapshotPublishThenRestoreGivesIdenticalTree: per shell, checksum
// and codec (PREWARM_SNAPSHOT_COMPRESSION none, zstd, lz4), a publish
// writes a snapshot the independent check accepts, with the codec in the
// manifest, and a restore gives the identical tree.
func TestLibSnapshotPublishThenRestoreGivesIdenticalTree(t *testing.T) {
	for _, sh := range ecoShells(t) {
		for _, algo := range []string{"cksum", "sha256"} {
			for _, codec := range ecoCodecs {
				t.Run(sh.name+"/"+algo+"/"+codec, func(t *testing.T) {
					ecoRoundTrip(t, sh, algo, codec)
				})
			}
		}
	}
}

func ecoRoundTrip(t *testing.T, sh ecoShell, algo, codec string) {
	base, src, env := ecoPublishedSample(t, sh, nil, "PREWARM_SNAPSHOT_CHECKSUM="+algo, "PREWARM_SNAPSHOT_COMPRESSION="+codec)
	final, temps := ecoSnapshots(t, filepath.Join(base, "cache"))
	if len(final) != 1 || final[0] != ecoTestKey+ecoSnapshotSuffix || len(temps) != 0 {
		t.Fatalf("snapshots/ holds %v, temps %v; want exactly %s%s", final, temps, ecoTestKey, ecoSnapshotSuffix)
	}
	if err := ecoSnapshotValid(filepath.Join(base, "cache", "snapshots", final[0])); err != nil {
		t.Fatalf("published snapshot fails the independent check: %v", err)
	}
	if m, err := ecoReadManifest(filepath.Join(base, "cache", "snapshots", final[0])); err != nil || len(m.shards) < 4 || m.codec != codec || m.algo != algo {
		t.Fatalf("want the sample tree in at least 4 %s shards with %s, manifest %+v (err %v)", codec, algo, m, err)
	}
	// Restore over an existing tree: it is replaced, not merged.
	target := filepath.Join(base, "repo", "node_modules")
	if err := os.MkdirAll(filepath.Join(target, "stale"), 0o755); err != nil {
		t.Fatal(err)
	}
	r := ecoLib(t, sh, base, env, "pw_snapshot_restore", ecoTestKey, target)
	if r.exitCode != 0 {
		t.Fatalf("restore: want 0\n%s", r)
	}
	if d := ecoDiffLists(ecoTreeDigest(t, src), ecoTreeDigest(t, target)); d != "" {
		t.Fatalf("restored tree differs from the published one:\n%s", d)
	}
	if tmp := ecoTempsUnder(t, base); len(tmp) != 0 {
		t.Fatalf("temporary names left: %v", tmp)
	}
	// Miss, and snapshots switched off, both return 1.
	if r := ecoLib(t, sh, base, env, "pw_snapshot_restore", strings.Repeat("f", 64), target); r.exitCode != 1 {
		t.Errorf("restore of an unknown key: exit %d, want 1\n%s", r.exitCode, r)
	}
	if r := ecoLib(t, sh, base, append(env, "PREWARM_SNAPSHOTS=false"), "pw_snapshot_restore", ecoTestKey, target); r.exitCode != 1 {
		t.Errorf("restore with PREWARM_SNAPSHOTS=false: exit %d, want 1\n%s", r.exitCode, r)
	}
	// readOnly never publishes.
	if r := ecoLib(t, sh, base, append(env, "PREWARM_CACHE_MODE=readOnly"), "pw_snapshot_publish", strings.Repeat("e", 64), src); r.exitCode != 0 {
		t.Fatalf("readOnly publish must not fail: %s", r)
	}
	if final, _ := ecoSnapshots(t, filepath.Join(base, "cache")); len(final) != 1 {
		t.Errorf("readOnly publish wrote a snapshot: %v", final)
	}
}

// TestLibSnapshotRestoreDetectsTruncatedBitFlippedAndChecksumMismatch:
// every corruption, uncompressed with both checksums and compressed with
// each codec (the checksum is of the stored, compressed bytes), is a
// fallback with no partial tree; and a compressed shard whose recorded
// checksum matches but whose data does not decompress (written corrupt)
// is one too.
func TestLibSnapshotRestoreDetectsTruncatedBitFlippedAndChecksumMismatch(t *testing.T) {
	for _, sh := range ecoShells(t) {
		for _, ac := range [][2]string{{"cksum", "none"}, {"sha256", "none"}, {"cksum", "zstd"}, {"sha256", "lz4"}} {
			cs := ecoCorruptions
			if ac[1] != "none" {
				cs = append(cs[:len(cs):len(cs)], ecoUndecompressable)
			}
			for _, c := range cs {
				t.Run(sh.name+"/"+ac[0]+"/"+ac[1]+"/"+c.name, func(t *testing.T) {
					ecoCorruptionCase(t, sh, ac[0], ac[1], c)
				})
			}
		}
	}
}

// ecoUndecompressable flips a byte in the middle of the biggest shard and
// records the checksum of the damaged bytes, as if the shard had been
// written corrupt: the checksum matches, the decompressor fails.
var ecoUndecompressable = ecoCorruption{"undecompressable-good-checksum", func(t *testing.T, dir string) {
	m, err := ecoReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	p := ecoBiggestShard(t, dir)
	var data []byte
	ecoRewrite(t, p, func(b []byte) []byte {
		b[len(b)/2] ^= 0xff
		data = append([]byte(nil), b...)
		return b
	})
	sum := fmt.Sprintf("%d-%d", ecoPosixCksum(data), len(data))
	if m.algo == "sha256" {
		h := sha256.Sum256(data)
		sum = hex.EncodeToString(h[:])
	}
	ecoRewrite(t, filepath.Join(dir, "manifest"), func(b []byte) []byte {
		var out []string
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Fields(l); len(f) == 3 && f[0] == "shard" && f[1] == filepath.Base(p) {
				l = "shard " + f[1] + " " + sum
			}
			out = append(out, l)
		}
		return []byte(strings.Join(out, "\n"))
	})
}}

// ecoPublishedSample publishes a sample tree (ecoSampleTree "one", then
// more, if not nil, adds to it) under ecoTestKey in a fresh base with the
// library env plus env, and returns the base, the source tree and the env.
func ecoPublishedSample(t *testing.T, sh ecoShell, more func(src string), env ...string) (base, src string, libEnv []string) {
	t.Helper()
	base = ecoTempDir(t)
	src = filepath.Join(base, "src")
	ecoSampleTree(t, src, "one")
	if more != nil {
		more(src)
	}
	libEnv = ecoLibEnv(base, env...)
	if r := ecoLib(t, sh, base, libEnv, "pw_snapshot_publish", ecoTestKey, src); r.exitCode != 0 {
		t.Fatalf("publish: %s", r)
	}
	return base, src, libEnv
}

func ecoCorruptionCase(t *testing.T, sh ecoShell, algo, codec string, c ecoCorruption) {
	base, _, env := ecoPublishedSample(t, sh, nil, "PREWARM_SNAPSHOT_CHECKSUM="+algo, "PREWARM_SNAPSHOT_COMPRESSION="+codec)
	snap := filepath.Join(base, "cache", "snapshots", ecoTestKey+ecoSnapshotSuffix)
	if m, err := ecoReadManifest(snap); err != nil || m.codec != codec {
		t.Fatalf("want a %s snapshot, manifest %+v (err %v)", codec, m, err)
	}
	c.apply(t, snap)
	target := filepath.Join(base, "repo", "node_modules")
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		t.Fatal(err)
	}

	// A read-only consumer detects it but cannot remove it.
	r := ecoLib(t, sh, base, append(env, "PREWARM_CACHE_MODE=readOnly"), "pw_snapshot_restore", ecoTestKey, target)
	if r.exitCode != 2 || !strings.Contains(r.stderr, "prewarm: warning: snapshot") || !strings.Contains(r.stderr, "corrupt") {
		t.Fatalf("readOnly restore of a %s snapshot: want exit 2 and a corrupt warning\n%s", c.name, r)
	}
	if _, err := os.Stat(snap); err != nil {
		t.Fatalf("readOnly restore removed the snapshot: %v", err)
	}

	r = ecoLib(t, sh, base, env, "pw_snapshot_restore", ecoTestKey, target)
	if r.exitCode != 2 || !strings.Contains(r.stderr, "corrupt") {
		t.Fatalf("restore of a %s snapshot: want exit 2 and a corrupt warning\n%s", c.name, r)
	}
	if _, err := os.Lstat(target); !os.IsNotExist(err) {
		t.Errorf("a failed restore left %s (err %v)", target, err)
	}
	if tmp := ecoTempsUnder(t, base); len(tmp) != 0 {
		t.Errorf("temporary names left: %v", tmp)
	}
	if _, err := os.Stat(snap); !os.IsNotExist(err) {
		t.Errorf("the corrupt snapshot is still in place (err %v)", err)
	}
}

// TestLibConcurrentPublishersLeaveExactlyOneCompleteSnapshot: N sharded
// publishers of one key at once (6, or 8 with PREWARM_STRESS=1), each with
// a different tree and the codecs taking turns (none, zstd, lz4): one
// complete snapshot survives, exactly one publisher's tree, no temps,
// nothing nested in the final directory.
func TestLibConcurrentPublishersLeaveExactlyOneCompleteSnapshot(t *testing.T) {
	base := ecoTempDir(t)
	env := ecoLibEnv(base)
	n := stressPick(6, 8)
	digests := map[string]bool{}
	for i := 0; i < n; i++ {
		src := filepath.Join(base, fmt.Sprintf("src%d", i))
		ecoSampleTree(t, src, fmt.Sprintf("variant-%d", i))
		ecoBigTree(t, filepath.Join(src, "blobs"), 8)
		digests[strings.Join(ecoTreeDigest(t, src), "\n")] = true
	}
	shells := ecoShells(t)
	var wg sync.WaitGroup
	runs := make([]ecoRun, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			env := append(env[:len(env):len(env)], "PREWARM_SNAPSHOT_COMPRESSION="+ecoCodecs[i%len(ecoCodecs)])
			runs[i] = ecoLib(t, shells[i%len(shells)], base, env, "pw_snapshot_publish", ecoTestKey, filepath.Join(base, fmt.Sprintf("src%d", i)))
		}(i)
	}
	wg.Wait()
	for i, r := range runs {
		if r.exitCode != 0 {
			t.Errorf("publisher %d failed: %s", i, r)
		}
	}
	final, temps := stressSnapshotsDir(t, filepath.Join(base, "cache"), ecoTestKey)
	if len(final) != 1 || len(temps) != 0 {
		t.Fatalf("after %d concurrent publishers snapshots/ holds %v and temps %v; want one snapshot, no temps", n, final, temps)
	}
	target := filepath.Join(base, "repo", "node_modules")
	if r := ecoLib(t, shells[0], base, env, "pw_snapshot_restore", ecoTestKey, target); r.exitCode != 0 {
		t.Fatalf("restore: %s", r)
	}
	if !digests[strings.Join(ecoTreeDigest(t, target), "\n")] {
		t.Fatal("the surviving snapshot is not exactly one publisher's tree")
	}
	m, err := ecoReadManifest(filepath.Join(base, "cache", "snapshots", final[0]))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("the surviving snapshot is %s-compressed", m.codec)
}

// ecoBigTree writes incompressible files so gzip and tar take a while.
func ecoBigTree(t *testing.T, root string, mb int) {
	t.Helper()
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1<<20)
	x := uint64(88172645463325252)
	for i := 0; i < mb; i++ {
		for j := 0; j < len(buf); j += 8 {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			for k := 0; k < 8; k++ {
				buf[j+k] = byte(x >> (8 * k))
			}
		}
		if err := os.WriteFile(filepath.Join(root, fmt.Sprintf("blob%03d", i)), buf, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// ecoKillWhen starts the driver, waits until started() reports that the
// operation is under way (its temp name exists), lets it run for d more,
// SIGKILLs its process group and waits. It reports whether the run was
// still going when killed.
func ecoKillWhen(t *testing.T, sh ecoShell, dir string, env []string, started func() bool, d time.Duration, args ...string) bool {
	t.Helper()
	done := make(chan ecoRun, 1)
	pidc := make(chan int, 1)
	go func() {
		done <- ecoRunScriptPid(t, sh, ecoLibDriver(t), dir, env, pidc, args...)
	}()
	pid := <-pidc
	deadline := time.Now().Add(30 * time.Second)
	for !started() {
		select {
		case r := <-done:
			t.Logf("finished before the kill: %s", r)
			return false
		case <-time.After(2 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			<-done
			t.Fatal("the operation never created its temp name")
		}
	}
	select {
	case r := <-done:
		t.Logf("finished before the kill: %s", r)
		return false
	case <-time.After(d):
	}
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	<-done
	return true
}

// ecoHasTemp reports whether dir holds a name starting with prefix.
func ecoHasTemp(dir, prefix string) func() bool {
	return func() bool {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), prefix) {
				return true
			}
		}
		return false
	}
}

// TestLibKilledPublishOrRestoreLeavesOnlyTempNames: SIGKILL mid-publish and
// mid-restore, per shell and codec: never an incomplete snapshot under the
// final name, never a partial tree.
func TestLibKilledPublishOrRestoreLeavesOnlyTempNames(t *testing.T) {
	for _, sh := range ecoShells(t) {
		for _, codec := range ecoCodecs {
			t.Run(sh.name+"/"+codec, func(t *testing.T) {
				ecoKilledCase(t, sh, codec)
			})
		}
	}
}

func ecoKilledCase(t *testing.T, sh ecoShell, codec string) {
	base := ecoTempDir(t)
	env := ecoLibEnv(base, "PREWARM_SNAPSHOT_CHECKSUM=sha256", "PREWARM_SNAPSHOT_COMPRESSION="+codec)
	src := filepath.Join(base, "src")
	ecoBigTree(t, src, 96)
	cache := filepath.Join(base, "cache")
	snapdir := filepath.Join(cache, "snapshots")
	if !ecoKillWhen(t, sh, base, env, ecoHasTemp(snapdir, ".tmp-"+ecoTestKey), 20*time.Millisecond, "pw_snapshot_publish", ecoTestKey, src) {
		t.Skip("publish finished before the kill; cannot observe a crash on this machine")
	}
	final, temps := ecoSnapshots(t, cache)
	for _, f := range final {
		if err := ecoSnapshotValid(filepath.Join(cache, "snapshots", f)); err != nil {
			t.Errorf("a killed publisher left an incomplete snapshot under its final name %s: %v", f, err)
		}
	}
	if len(temps) == 0 {
		t.Errorf("expected the killed publisher's .tmp-* file, found none (finals %v)", final)
	}
	// Publish for real, then kill a restore half-way.
	for _, tmp := range temps {
		os.Remove(filepath.Join(cache, "snapshots", tmp))
	}
	if r := ecoLib(t, sh, base, env, "pw_snapshot_publish", ecoTestKey, src); r.exitCode != 0 {
		t.Fatal(r)
	}
	if m, err := ecoReadManifest(filepath.Join(snapdir, ecoTestKey+ecoSnapshotSuffix)); err != nil || m.codec != codec {
		t.Fatalf("want a %s snapshot, manifest %+v (err %v)", codec, m, err)
	}
	target := filepath.Join(base, "repo", "node_modules")
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		t.Fatal(err)
	}
	if ecoKillWhen(t, sh, base, env, ecoHasTemp(filepath.Dir(target), ".tmp-prewarm-node_modules-"), 20*time.Millisecond, "pw_snapshot_restore", ecoTestKey, target) {
		if _, err := os.Lstat(target); err == nil {
			if d := ecoDiffLists(ecoTreeDigest(t, src), ecoTreeDigest(t, target)); d != "" {
				t.Errorf("a killed restore left a partial %s:\n%s", target, d)
			}
		}
		for _, p := range ecoTempsUnder(t, filepath.Dir(target)) {
			if !strings.HasPrefix(filepath.Base(p), ".tmp-prewarm-") {
				t.Errorf("unexpected leftover %s", p)
			}
		}
	}
}

func TestLibCacheWritableAndStoreState(t *testing.T) {
	for _, sh := range ecoShells(t) {
		t.Run(sh.name, func(t *testing.T) {
			base := ecoTempDir(t)
			if r := ecoLib(t, sh, base, ecoLibEnv(base), "pw_cache_writable"); r.exitCode != 0 {
				t.Errorf("readWrite, writable dir: want 0\n%s", r)
			}
			if r := ecoLib(t, sh, base, ecoLibEnv(base, "PREWARM_CACHE_MODE=readOnly"), "pw_cache_writable"); r.exitCode == 0 || r.stderr != "" {
				t.Errorf("readOnly: want non-zero and no warning\n%s", r)
			}
			file := filepath.Join(base, "a-file")
			if err := os.WriteFile(file, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			r := ecoLib(t, sh, base, ecoLibEnv(base, "PREWARM_CACHE="+file+"/cache"), "pw_cache_writable")
			if r.exitCode == 0 || !strings.Contains(r.stderr, "prewarm: warning: cache") {
				t.Errorf("cache below a regular file: want non-zero and a warning\n%s", r)
			}
			r = ecoLib(t, sh, base, ecoLibEnv(base, "PREWARM_CACHE_MIN_FREE_MB=999999999"), "pw_cache_writable")
			if r.exitCode == 0 || !strings.Contains(r.stderr, "MiB free (less than PREWARM_CACHE_MIN_FREE_MB=999999999)") {
				t.Errorf("a (nearly) full cache: want non-zero and a warning\n%s", r)
			}
			// A lease that cannot be written (here its name is longer than
			// a file name may be) costs the shared cache, with a warning,
			// never the step: `: >FILE` failing would end the script (a
			// special builtin's redirection error exits the shell).
			r = ecoLib(t, sh, base, ecoLibEnv(base, "PW_TEST_ECO="+strings.Repeat("e", 300)), "pw_cache_writable")
			if r.exitCode != 1 || !strings.Contains(r.stderr, "cannot write a lease") {
				t.Errorf("an unwritable lease: want exit 1 and a warning\n%s", r)
			}
			for _, c := range []struct {
				setup func(d string)
				want  string
			}{
				{func(d string) {}, "cold"},
				{func(d string) { os.MkdirAll(d, 0o755) }, "cold"},
				{func(d string) { os.MkdirAll(d, 0o755); os.WriteFile(filepath.Join(d, ".only-dotfile"), nil, 0o644) }, "warm"},
				{func(d string) { os.MkdirAll(filepath.Join(d, "_cacache"), 0o755) }, "warm"},
			} {
				d := filepath.Join(ecoTempDir(t), "store")
				c.setup(d)
				r := ecoLib(t, sh, base, ecoLibEnv(base), "pw_store_state", d)
				if strings.TrimSpace(r.stdout) != c.want {
					t.Errorf("pw_store_state: got %q, want %s\n%s", r.stdout, c.want, r)
				}
			}
		})
	}
}

func TestLibAtomicCopyTreeReplacesDestinationCompletely(t *testing.T) {
	for _, sh := range ecoShells(t) {
		t.Run(sh.name, func(t *testing.T) {
			base := ecoTempDir(t)
			src := filepath.Join(base, "pod-cache")
			ecoSampleTree(t, src, "new")
			dst := filepath.Join(base, "cache", "repo")
			ecoSampleTree(t, dst, "old")
			if err := os.WriteFile(filepath.Join(dst, "only-in-old"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
			if r := ecoLib(t, sh, base, ecoLibEnv(base), "pw_atomic_copy_tree", src, dst); r.exitCode != 0 {
				t.Fatal(r)
			}
			if d := ecoDiffLists(ecoTreeDigest(t, src), ecoTreeDigest(t, dst)); d != "" {
				t.Fatalf("destination differs from source:\n%s", d)
			}
			if tmp := ecoTempsUnder(t, base); len(tmp) != 0 {
				t.Fatalf("temporary names left: %v", tmp)
			}
		})
	}
}

func TestLibSummaryLineIsParseable(t *testing.T) {
	for _, sh := range ecoShells(t) {
		t.Run(sh.name, func(t *testing.T) {
			base := ecoTempDir(t)
			r := ecoLib(t, sh, base, ecoLibEnv(base), "pw_summary", "npm", ecoTestKey, "cold", "packages=3")
			s := ecoSummaries(t, r, 1)[0]
			if s["key"] != ecoTestKey[:20] || s["result"] != "cold" || s["packages"] != "3" || s["workdir"] != "." {
				t.Fatalf("summary fields %v", s)
			}
		})
	}
}

// TestLibElapsedCountsTheSecondsSinceTheWorkdirStarted: the summary's
// seconds come from pw_clock (the kernel's uptime read by a builtin, in
// hundredths): a step that sleeps 1.2 s reports 1.2 to 1.4 s, to a tenth,
// and one that does nothing reports 0.0.
func TestLibElapsedCountsTheSecondsSinceTheWorkdirStarted(t *testing.T) {
	for _, sh := range ecoShells(t) {
		t.Run(sh.name, func(t *testing.T) {
			base := ecoTempDir(t)
			r := ecoLib(t, sh, base, ecoLibEnv(base), "eval", `pw_clock; PW_T0=$PW_CLOCK; pw_elapsed; sleep 1.2; pw_elapsed`)
			got := strings.Fields(r.stdout)
			if r.exitCode != 0 || len(got) != 2 {
				t.Fatalf("want two elapsed times\n%s", r)
			}
			if got[0] != "0.0" {
				t.Errorf("nothing done: elapsed %q, want 0.0", got[0])
			}
			if !regexp.MustCompile(`^1\.[234]$`).MatchString(got[1]) {
				t.Errorf("after sleep 1.2: elapsed %q, want 1.2 to 1.4", got[1])
			}
		})
	}
}

// TestLibCpusReadsCgroupQuotaV1AndV2: pw_cpus is nproc capped by the
// cgroup CPU quota rounded up; "max" (v2) and -1 (v1) mean no quota. The
// hierarchy is a fake one (PW_CGROUP) because the test cannot set a real
// quota on itself; nproc is the real one.
func TestLibCpusReadsCgroupQuotaV1AndV2(t *testing.T) {
	out, err := exec.Command("nproc").Output()
	if err != nil {
		t.Fatal(err)
	}
	nproc, _ := strconv.Atoi(strings.TrimSpace(string(out)))
	capped := func(n int) string { return strconv.Itoa(min(n, nproc)) }
	for _, sh := range ecoShells(t) {
		t.Run(sh.name, func(t *testing.T) {
			base := ecoTempDir(t)
			for _, c := range []struct {
				name  string
				files map[string]string
				want  string
			}{
				{"v2 quota 1.5 CPUs", map[string]string{"cpu.max": "150000 100000\n"}, capped(2)},
				{"v2 quota 1 CPU", map[string]string{"cpu.max": "100000 100000\n"}, "1"},
				{"v2 quota 0.2 CPUs", map[string]string{"cpu.max": "20000 100000\n"}, "1"},
				{"v2 no quota", map[string]string{"cpu.max": "max 100000\n"}, capped(nproc)},
				{"v1 quota 1 CPU", map[string]string{"cpu/cpu.cfs_quota_us": "50000\n", "cpu/cpu.cfs_period_us": "50000\n"}, "1"},
				{"v1 cpu,cpuacct quota 3 CPUs", map[string]string{"cpu,cpuacct/cpu.cfs_quota_us": "300000\n", "cpu,cpuacct/cpu.cfs_period_us": "100000\n"}, capped(3)},
				{"v1 no quota", map[string]string{"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, capped(nproc)},
				{"no cgroup files", map[string]string{}, capped(nproc)},
				{"garbage", map[string]string{"cpu.max": "lots of\n"}, capped(nproc)},
			} {
				root := filepath.Join(base, strings.ReplaceAll(c.name, " ", "_"))
				if err := os.MkdirAll(root, 0o755); err != nil {
					t.Fatal(err)
				}
				for f, content := range c.files {
					p := filepath.Join(root, f)
					if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				r := ecoLib(t, sh, base, ecoLibEnv(base, "PW_CGROUP="+root), "pw_cpus")
				if r.exitCode != 0 || strings.TrimSpace(r.stdout) != c.want {
					t.Errorf("%s: pw_cpus = %q, want %s (nproc %d)\n%s", c.name, r.stdout, c.want, nproc, r)
				}
			}
		})
	}
}

// TestLibSnapshotJobsIsTwicePerCPUCappedByShards: pw_snapshot_jobs SHARDS
// is PREWARM_SNAPSHOT_JOBS when it is a positive number, else twice the
// CPUs the container may use (a fake cgroup quota of 1 CPU, so the answer
// does not depend on this machine), never more than SHARDS, at least 1.
func TestLibSnapshotJobsIsTwicePerCPUCappedByShards(t *testing.T) {
	for _, sh := range ecoShells(t) {
		t.Run(sh.name, func(t *testing.T) {
			base := ecoTempDir(t)
			root := filepath.Join(base, "cgroup")
			if err := os.MkdirAll(root, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(root, "cpu.max"), []byte("100000 100000\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				jobs, shards, want string
			}{
				{"", "8", "2"},
				{"", "1", "1"},
				{"", "0", "1"},
				{"3", "8", "3"},
				{"16", "8", "8"},
				{"0", "8", "2"},
				{"many", "8", "2"},
			} {
				env := ecoLibEnv(base, "PW_CGROUP="+root, "PREWARM_SNAPSHOT_JOBS="+c.jobs)
				r := ecoLib(t, sh, base, env, "pw_snapshot_jobs", c.shards)
				if r.exitCode != 0 || strings.TrimSpace(r.stdout) != c.want {
					t.Errorf("PREWARM_SNAPSHOT_JOBS=%q, %s shards, 1 CPU: pw_snapshot_jobs = %q, want %s\n%s", c.jobs, c.shards, r.stdout, c.want, r)
				}
			}
		})
	}
}

// TestLibSnapshotRestoreWithAnyJobCountAndPreviousFormat: the same sharded
// snapshot restores to the identical tree with 1, 2, 3 and 16 extractors;
// a v1 single-tar snapshot (<key>.tar) is ignored (a miss, logged), and the
// next publish replaces it with <key>.v2.
func TestLibSnapshotRestoreWithAnyJobCountAndPreviousFormat(t *testing.T) {
	for _, sh := range ecoShells(t) {
		t.Run(sh.name, func(t *testing.T) {
			base := ecoTempDir(t)
			src := filepath.Join(base, "src")
			ecoSampleTree(t, src, "jobs")
			ecoBigTree(t, filepath.Join(src, "blobs"), 3)
			env := ecoLibEnv(base)
			cache := filepath.Join(base, "cache")
			v1 := filepath.Join(cache, "snapshots", ecoTestKey+".tar")
			if err := os.MkdirAll(filepath.Dir(v1), 0o755); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command("tar", "-cf", v1, "-C", src, ".").CombinedOutput(); err != nil {
				t.Fatalf("tar: %v\n%s", err, out)
			}
			target := filepath.Join(base, "repo", "node_modules")
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				t.Fatal(err)
			}
			r := ecoLib(t, sh, base, env, "pw_snapshot_restore", ecoTestKey, target)
			if r.exitCode != 1 || !strings.Contains(r.stderr, "single-tar snapshot of an older prewarm (format v1)") {
				t.Fatalf("restore with only a v1 snapshot: want exit 1 (miss) and the v1 note\n%s", r)
			}
			if _, err := os.Lstat(target); !os.IsNotExist(err) {
				t.Fatalf("a v1 miss created %s", target)
			}
			if r := ecoLib(t, sh, base, env, "pw_snapshot_publish", ecoTestKey, src); r.exitCode != 0 {
				t.Fatal(r)
			}
			stressSnapshotsDir(t, cache, ecoTestKey)
			want := ecoTreeDigest(t, src)
			// On local disk each shard is read by the checksum and by tar at
			// once; on a network volume (a mounts file that says the cache
			// is NFS) it is read once and teed through a FIFO.
			real, err := filepath.EvalSymlinks(cache)
			if err != nil {
				t.Fatal(err)
			}
			mounts := filepath.Join(base, "mounts")
			if err := os.WriteFile(mounts, []byte("/dev/vda / ext4 rw 0 0\nfiler:/export "+real+" nfs4 rw 0 0\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			for _, fs := range []string{"local", "network"} {
				for _, jobs := range []string{"1", "2", "3", "16"} {
					dst := filepath.Join(base, "repo-"+fs+"-"+jobs, "node_modules")
					if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
						t.Fatal(err)
					}
					e := append(slices.Clone(env), "PREWARM_SNAPSHOT_JOBS="+jobs)
					if fs == "network" {
						e = append(e, "PREWARM_MOUNTS_FILE="+mounts)
					}
					r := ecoLib(t, sh, base, e, "pw_snapshot_restore", ecoTestKey, dst)
					if r.exitCode != 0 {
						t.Fatalf("%s, jobs=%s: %s", fs, jobs, r)
					}
					if d := ecoDiffLists(want, ecoTreeDigest(t, dst)); d != "" {
						t.Fatalf("%s, jobs=%s: restored tree differs:\n%s", fs, jobs, d)
					}
					info, err := os.Stat(filepath.Join(dst, "blobs"))
					if err != nil || info.Mode().Perm() != 0o755 {
						t.Errorf("%s, jobs=%s: split directory blobs has mode %v (err %v), want 0755 as published", fs, jobs, info.Mode().Perm(), err)
					}
				}
			}
			if tmp := ecoTempsUnder(t, base); len(tmp) != 0 {
				t.Fatalf("temporary names left: %v", tmp)
			}
		})
	}
}

// TestLibPublishLosingTheRenameRaceLeavesTheWinnerIntact: a publisher that
// passed the existence check while another one published: its mv moves its
// directory inside the winner's, and it must take it out again. The other
// publisher is a stand-in: an `mv` first on PATH that publishes a complete
// competitor snapshot at the destination just before the real mv runs,
// because the real race window (between the check and the rename) is too
// narrow to hit on demand. dash only: busybox sh runs its own mv applet
// without a PATH lookup, so the stand-in cannot step in there.
func TestLibPublishLosingTheRenameRaceLeavesTheWinnerIntact(t *testing.T) {
	realMv, err := exec.LookPath("mv")
	if err != nil {
		t.Fatal(err)
	}
	for _, sh := range []ecoShell{ecoShellNamed(t, "dash")} {
		t.Run(sh.name, func(t *testing.T) {
			base := ecoTempDir(t)
			env := ecoLibEnv(base)
			winnerSrc := filepath.Join(base, "winner-src")
			ecoSampleTree(t, winnerSrc, "winner")
			winnerCache := filepath.Join(base, "winner-cache")
			if r := ecoLib(t, sh, base, append(ecoLibEnv(base), "PREWARM_CACHE="+winnerCache), "pw_snapshot_publish", ecoTestKey, winnerSrc); r.exitCode != 0 {
				t.Fatal(r)
			}
			bin := filepath.Join(base, "bin")
			if err := os.MkdirAll(bin, 0o755); err != nil {
				t.Fatal(err)
			}
			fake := "#!/bin/sh\ncase $1 in */.tmp-*.v2) [ -e \"$2\" ] || cp -R \"$PW_TEST_WINNER\" \"$2\" ;; esac\nexec " + realMv + " \"$@\"\n"
			if err := os.WriteFile(filepath.Join(bin, "mv"), []byte(fake), 0o755); err != nil {
				t.Fatal(err)
			}
			src := filepath.Join(base, "src")
			ecoSampleTree(t, src, "loser")
			r := ecoLib(t, sh, base, append(env, "PATH="+bin+":"+ecoPath(sh), "PW_TEST_WINNER="+filepath.Join(winnerCache, "snapshots", ecoTestKey+ecoSnapshotSuffix)), "pw_snapshot_publish", ecoTestKey, src)
			if r.exitCode != 0 {
				t.Fatal(r)
			}
			cache := filepath.Join(base, "cache")
			_, temps := stressSnapshotsDir(t, cache, ecoTestKey)
			if len(temps) != 0 {
				t.Errorf("temps left: %v", temps)
			}
			target := filepath.Join(base, "repo", "node_modules")
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				t.Fatal(err)
			}
			if r := ecoLib(t, sh, base, env, "pw_snapshot_restore", ecoTestKey, target); r.exitCode != 0 {
				t.Fatal(r)
			}
			if d := ecoDiffLists(ecoTreeDigest(t, winnerSrc), ecoTreeDigest(t, target)); d != "" {
				t.Fatalf("the snapshot is not the winner's tree:\n%s", d)
			}
		})
	}
}

// ecoPathWithout is a PATH for sh on which the named tools do not exist,
// as in an image that lacks them: one directory of links to everything on
// the shell's PATH (for busybox its applets first) but those tools.
func ecoPathWithout(t *testing.T, sh ecoShell, tools ...string) string {
	t.Helper()
	bin := filepath.Join(ecoTempDir(t), "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	skip := map[string]bool{}
	for _, tool := range tools {
		skip[tool] = true
	}
	for _, dir := range filepath.SplitList(ecoPath(sh)) {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			link := filepath.Join(bin, e.Name())
			if skip[e.Name()] {
				continue
			}
			if _, err := os.Lstat(link); err == nil {
				continue // an earlier PATH entry wins
			}
			if err := os.Symlink(filepath.Join(dir, e.Name()), link); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(filepath.Join(bin, tool)); err == nil {
			t.Fatalf("%s is still on the PATH built without it", tool)
		}
	}
	return bin
}

// TestLibSnapshotCodecMissingAtRestoreIsACleanMiss: a zstd or lz4 snapshot
// restored in an image without that tool (a real PATH without it) is a
// miss (exit 1: the caller installs and reports the store's cold/warm),
// with one warning naming the tool, no tree, no temps; the snapshot stays
// for the images that have the tool, and one of them restores it.
func TestLibSnapshotCodecMissingAtRestoreIsACleanMiss(t *testing.T) {
	for _, sh := range ecoShells(t) {
		for _, codec := range []string{"zstd", "lz4"} {
			t.Run(sh.name+"/"+codec, func(t *testing.T) {
				base, src, env := ecoPublishedSample(t, sh, nil, "PREWARM_SNAPSHOT_COMPRESSION="+codec)
				snap := filepath.Join(base, "cache", "snapshots", ecoTestKey+ecoSnapshotSuffix)
				if m, err := ecoReadManifest(snap); err != nil || m.codec != codec {
					t.Fatalf("want a %s snapshot, manifest %+v (err %v)", codec, m, err)
				}
				target := filepath.Join(base, "repo", "node_modules")
				if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
					t.Fatal(err)
				}
				r := ecoLib(t, sh, base, append(env, "PATH="+ecoPathWithout(t, sh, codec)), "pw_snapshot_restore", ecoTestKey, target)
				want := "prewarm: warning: snapshot " + snap + " is compressed with " + codec + ", which this image lacks; installing instead\n"
				if r.exitCode != 1 || r.stderr != want {
					t.Fatalf("restore without %s: want exit 1 (miss) and exactly the warning %q\n%s", codec, want, r)
				}
				if _, err := os.Lstat(target); !os.IsNotExist(err) {
					t.Errorf("a miss created %s (err %v)", target, err)
				}
				if tmp := ecoTempsUnder(t, base); len(tmp) != 0 {
					t.Errorf("temporary names left: %v", tmp)
				}
				if err := ecoSnapshotValid(snap); err != nil {
					t.Fatalf("the snapshot was damaged or removed: %v", err)
				}
				if r := ecoLib(t, sh, base, env, "pw_snapshot_restore", ecoTestKey, target); r.exitCode != 0 {
					t.Fatalf("restore with %s: %s", codec, r)
				}
				if d := ecoDiffLists(ecoTreeDigest(t, src), ecoTreeDigest(t, target)); d != "" {
					t.Fatalf("restored tree differs:\n%s", d)
				}
			})
		}
	}
}

// TestLibSnapshotCompressionPolicy: auto publishes uncompressed on this
// machine's local disk (the real /proc/self/mounts) and zstd when the
// mounts file says the cache is on a network file system (else lz4 when
// only lz4 is there, else none, silently); an explicit codec the image
// lacks warns once per run and publishes uncompressed.
func TestLibSnapshotCompressionPolicy(t *testing.T) {
	for _, sh := range ecoShells(t) {
		t.Run(sh.name, func(t *testing.T) {
			publish := func(env []string, keys ...string) (ecoRun, string, []string) {
				t.Helper()
				base := ecoTempDir(t)
				src := filepath.Join(base, "src")
				ecoSampleTree(t, src, "policy")
				cache := filepath.Join(base, "cache")
				if err := os.MkdirAll(cache, 0o755); err != nil {
					t.Fatal(err)
				}
				mounts := filepath.Join(base, "mounts")
				env = append(ecoLibEnv(base, "PREWARM_MOUNTS_FILE="+mounts), env...)
				var cmds []string
				for _, k := range keys {
					cmds = append(cmds, "pw_snapshot_publish "+k+" "+src)
				}
				// the mounts file: this machine's, with cache's mount added
				// by the env's PW_TEST_MOUNT ("" for none)
				real, err := os.ReadFile("/proc/self/mounts")
				if err != nil {
					t.Fatal(err)
				}
				for _, kv := range env {
					if fs, ok := strings.CutPrefix(kv, "PW_TEST_MOUNT="); ok && fs != "" {
						real = append(real, []byte("server:/export "+cache+" "+fs+" rw,relatime 0 0\n")...)
					}
				}
				if err := os.WriteFile(mounts, real, 0o644); err != nil {
					t.Fatal(err)
				}
				r := ecoLib(t, sh, base, env, "eval", strings.Join(cmds, "; "))
				if r.exitCode != 0 {
					t.Fatalf("publish: %s", r)
				}
				var codecs []string
				for _, k := range keys {
					m, err := ecoReadManifest(filepath.Join(cache, "snapshots", k+ecoSnapshotSuffix))
					if err != nil {
						t.Fatalf("key %s: %v\n%s", k, err, r)
					}
					codecs = append(codecs, m.codec)
				}
				return r, src, codecs
			}
			k2 := strings.Repeat("b", 64)
			noZstd := "PATH=" + ecoPathWithout(t, sh, "zstd")
			noBoth := "PATH=" + ecoPathWithout(t, sh, "zstd", "lz4")
			for _, c := range []struct {
				name string
				env  []string
				want string
				warn string
			}{
				{"auto on local disk", nil, "none", ""},
				{"default (auto) on nfs4", []string{"PW_TEST_MOUNT=nfs4"}, "zstd", ""},
				{"auto on fuse.sshfs", []string{"PREWARM_SNAPSHOT_COMPRESSION=auto", "PW_TEST_MOUNT=fuse.sshfs"}, "zstd", ""},
				{"auto on overlay", []string{"PW_TEST_MOUNT=overlay"}, "none", ""},
				{"auto on nfs, no zstd", []string{"PW_TEST_MOUNT=nfs", noZstd}, "lz4", ""},
				{"auto on cifs, neither tool", []string{"PW_TEST_MOUNT=cifs", noBoth}, "none", ""},
				{"none on nfs4", []string{"PREWARM_SNAPSHOT_COMPRESSION=none", "PW_TEST_MOUNT=nfs4"}, "none", ""},
				{"lz4 on local disk", []string{"PREWARM_SNAPSHOT_COMPRESSION=lz4"}, "lz4", ""},
				{"zstd without zstd", []string{"PREWARM_SNAPSHOT_COMPRESSION=zstd", noZstd}, "none",
					"prewarm: warning: PREWARM_SNAPSHOT_COMPRESSION=zstd but this image has no zstd; publishing snapshots uncompressed\n"},
			} {
				r, _, codecs := publish(c.env, ecoTestKey, k2)
				if codecs[0] != c.want || codecs[1] != c.want || r.stderr != c.warn {
					t.Errorf("%s: published %v, want %s twice; stderr %q, want %q", c.name, codecs, c.want, r.stderr, c.warn)
				}
			}
		})
	}
}

// TestLibFsTypeFindsTheMountHoldingThePath: pw_fs_type against mounts
// lines as the kernel writes them (/proc/self/mounts of a pod with an
// NFSv4 PVC, an sshfs mount, an overlay root, an ext4 disk, a mount point
// with a space, a point mounted twice), and pw_fs_network on each type.
func TestLibFsTypeFindsTheMountHoldingThePath(t *testing.T) {
	mounts := strings.Join([]string{
		"overlay / overlay rw,relatime,lowerdir=/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/12/fs,upperdir=/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/13/fs,workdir=/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/13/work 0 0",
		"proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0",
		"/dev/vda1 /workspace ext4 rw,relatime 0 0",
		"fs-0123456789abcdef0.efs.us-east-1.amazonaws.com:/ /cache/npm nfs4 rw,relatime,vers=4.1,rsize=1048576,wsize=1048576,namlen=255,hard,noresvport,proto=tcp,timeo=600,retrans=2,sec=sys,clientaddr=10.0.1.5,local_lock=none,addr=10.0.2.9 0 0",
		"prewarm@127.0.0.1:/srv/vol /mnt/net fuse.sshfs rw,nosuid,nodev,relatime,user_id=0,group_id=0 0 0",
		"/dev/vdb /mnt/net/local ext4 rw,relatime 0 0",
		"tmpfs /mnt/my\\040vol tmpfs rw,relatime 0 0",
		"/dev/vdc /mnt/twice ext4 rw,relatime 0 0",
		"10.0.0.7:/share /mnt/twice nfs rw,relatime,vers=3 0 0",
		"10.0.0.8:6789:/ /mnt/ceph ceph rw,relatime,name=prewarm 0 0",
	}, "\n") + "\n"
	for _, sh := range ecoShells(t) {
		t.Run(sh.name, func(t *testing.T) {
			base := ecoTempDir(t)
			file := filepath.Join(base, "mounts")
			if err := os.WriteFile(file, []byte(mounts), 0o644); err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				path, want string
				network    bool
			}{
				{"/cache/npm", "nfs4", true},
				{"/cache/npm/", "nfs4", true},
				{"/cache/npm/snapshots", "nfs4", true},
				{"/cache/npmx", "overlay", false},
				{"/cache", "overlay", false},
				{"/workspace/repo", "ext4", false},
				{"/mnt/net/vol/npm", "fuse.sshfs", true},
				{"/mnt/net/local/npm", "ext4", false},
				{"/mnt/my vol/x", "tmpfs", false},
				{"/mnt/twice/x", "nfs", true},
				{"/mnt/ceph", "ceph", true},
				{"/proc", "proc", false},
			} {
				r := ecoLib(t, sh, base, ecoLibEnv(base, "PREWARM_MOUNTS_FILE="+file, "PW_TEST_PATH="+c.path), "eval",
					`t=$(pw_fs_type "$PW_TEST_PATH"); if pw_fs_network "$t"; then echo "$t network"; else echo "$t local"; fi`)
				want := c.want + map[bool]string{true: " network", false: " local"}[c.network]
				if r.exitCode != 0 || strings.TrimSpace(r.stdout) != want {
					t.Errorf("%s: got %q, want %q\n%s", c.path, strings.TrimSpace(r.stdout), want, r)
				}
			}
			// No mounts file: unknown, which is not a network file system.
			r := ecoLib(t, sh, base, ecoLibEnv(base, "PREWARM_MOUNTS_FILE="+filepath.Join(base, "absent")), "eval",
				`t=$(pw_fs_type /cache); pw_fs_network "$t" && echo network || echo "local '$t'"`)
			if r.exitCode != 0 || strings.TrimSpace(r.stdout) != "local ''" {
				t.Errorf("absent mounts file: got %q\n%s", r.stdout, r)
			}
		})
	}
}
