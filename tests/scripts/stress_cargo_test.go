package scripts

// prewarm.script.cargo under concurrency: cargo has no safe concurrent
// writers on shared storage, so the contract is one trusted writer and
// many readOnly consumers. 8 consumers read the shared cache at once.

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// TestStressCargoConcurrentReadOnlyConsumers: the trusted writer fills the
// cache from the offline registry, the registry stops, then 8 readOnly
// consumers (half dash, half busybox) run at once, each with its own
// CARGO_HOME and target dir. All succeed warm with nothing fetched, the
// shared cache is byte-for-byte unchanged and holds no temp names.
func TestStressCargoConcurrentReadOnlyConsumers(t *testing.T) {
	t.Parallel()
	const n = 8
	fx := offlineFixtures(t)
	reg := offlineCargoRegistryFor(t)
	shells := offlineShells(t)
	srv := offlineServe(t, reg.handler())
	repo := offlineCargoRepo(t, fx, srv.URL)
	cache := filepath.Join(t.TempDir(), "cache", "cargo")
	args := []string{"--config", "net.git-fetch-with-cli=false"}

	writer := newOfflineCargoPod(t)
	r := offlineRunScript(t, shells[0], "cargo", repo, writer.env(repo, cache, "readWrite", "hello"), args...)
	offlineWant(t, "writer", r, offlineOK(t, "writer", r, 1)[0], "result", "cold", "published", "yes")
	srv.Stop()
	state := offlineTreeState(t, filepath.Join(cache, ".."))

	script := offlineScript(t, "cargo")
	pods := make([]offlineCargoPod, n)
	for i := range pods {
		pods[i] = newOfflineCargoPod(t)
	}
	runs := make([]ecoRun, n)
	start := time.Now()
	stressParallel(n, func(i int) {
		sh := shells[i%len(shells)]
		argv := append([]string{sh.argv[0], "-c", script, "prewarm-cargo"}, args...)
		runs[i] = stressExec(repo, offlineEnv(sh, pods[i].env(repo, cache, "readOnly", "hello")...), 5*time.Minute, argv...)
	})
	t.Logf("%d concurrent readOnly consumers in %s", n, time.Since(start).Round(time.Millisecond))
	for i, er := range runs {
		what := fmt.Sprintf("reader %d (%s)", i, shells[i%len(shells)].name)
		r := offlineRun{stdout: er.stdout, stderr: er.stderr, exitCode: er.exitCode, elapsed: er.elapsed}
		offlineWant(t, what, r, offlineOK(t, what, r, 1)[0], "result", "warm", "mode", "readOnly", "fetched", "0", "published", "readOnly")
	}
	if d := offlineDiff(state, offlineTreeState(t, filepath.Join(cache, ".."))); d != "" {
		t.Errorf("concurrent readOnly consumers changed the shared cache:\n%s", d)
	}
	offlineNoTemps(t, cache)
}
