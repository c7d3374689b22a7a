package scripts

// prewarm.script.gomod under concurrency and SIGKILL, against the real Go
// module proxy with a small module (go-cmp and pflag, hashes from the
// prewarm go.sum) so that 8 concurrent builds stay cheap.

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// stressGoModule writes a module that needs two dependencies from the
// proxy and compiles against both.
func stressGoModule(t *testing.T, dir string) {
	t.Helper()
	sum, err := os.ReadFile(filepath.Join("..", "..", "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(sum), "\n") {
		if strings.HasPrefix(l, "github.com/google/go-cmp v0.7.0") || strings.HasPrefix(l, "github.com/spf13/pflag v1.0.10") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 4 {
		t.Fatalf("go.sum has %d lines for go-cmp v0.7.0 and pflag v1.0.10, want 4", len(lines))
	}
	files := map[string]string{
		"go.mod":  "module example.com/stress\n\ngo 1.22\n\nrequire (\n\tgithub.com/google/go-cmp v0.7.0\n\tgithub.com/spf13/pflag v1.0.10\n)\n",
		"go.sum":  strings.Join(lines, "\n") + "\n",
		"main.go": "package main\n\nimport (\n\t\"fmt\"\n\n\t\"github.com/google/go-cmp/cmp\"\n\t\"github.com/spf13/pflag\"\n)\n\nfunc main() {\n\tpflag.Parse()\n\tfmt.Println(cmp.Diff(1, 2))\n}\n",
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for n, c := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func stressGoEnv(repo, home, cache string, extra ...string) []string {
	return append([]string{"PREWARM_REPO=" + repo, "PREWARM_HOME=" + home, "PREWARM_CACHE=" + cache}, extra...)
}

// stressGoVerify runs `go mod verify` and an offline build of repo against
// the cache's module cache and the build cache gocache.
func stressGoVerify(t *testing.T, repo, cache, gocache string) {
	t.Helper()
	env := append(ecoBaseEnv(ecoShell{}), "HOME="+t.TempDir(), "GOMODCACHE="+filepath.Join(cache, "mod"),
		"GOCACHE="+gocache, "GOFLAGS=-modcacherw", "GOPROXY=off")
	for _, argv := range [][]string{{"go", "mod", "verify"}, {"go", "build", "-o", os.DevNull, "."}} {
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Dir, cmd.Env = repo, env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s (GOPROXY=off) on the shared cache: %v\n%s", strings.Join(argv, " "), err, out)
		}
		if argv[1] == "mod" && !strings.Contains(string(out), "all modules verified") {
			t.Fatalf("go mod verify: %s", out)
		}
	}
}

// TestStressGomodConcurrentRunsShareOneModuleAndBuildCache: 8 runs start
// at once on an empty readWrite cache (half dash, half busybox; all
// download, 2 of them also prebuild into the shared GOCACHE: compiling the
// standard library 8 times over would cost minutes on 2 cores), then 8
// readOnly consumers with GOPROXY=off at once. All succeed; `go mod
// verify` and an offline build pass on the shared cache; the readOnly wave
// writes nothing to it.
func TestStressGomodConcurrentRunsShareOneModuleAndBuildCache(t *testing.T) {
	t.Parallel()
	ecoNeedsGo(t)
	const n = 8
	shells := ecoShells(t)
	script := ecoScript(t, "gomod")
	base := ecoTempDir(t)
	cache := filepath.Join(base, "cache")
	wave := func(label string, prebuild func(i int) string, extra ...string) []ecoSummary {
		t.Helper()
		repos := make([]string, n)
		for i := range repos {
			repos[i] = filepath.Join(base, fmt.Sprintf("%s-%d", label, i))
			stressGoModule(t, repos[i])
		}
		runs := make([]ecoRun, n)
		start := time.Now()
		stressParallel(n, func(i int) {
			env := stressGoEnv(repos[i], filepath.Join(base, fmt.Sprintf("home-%s-%d", label, i)), cache, append(extra, "PREWARM_PREBUILD="+prebuild(i))...)
			runs[i] = stressRunScript(shells[i%len(shells)], script, "prewarm-gomod", repos[i], env, 8*time.Minute)
		})
		sums := make([]ecoSummary, n)
		for i, r := range runs {
			s, err := stressSummary(r)
			if err != nil {
				t.Fatalf("%s run %d (%s): %v", label, i, shells[i%len(shells)].name, err)
			}
			if s["prebuild"] != prebuild(i) {
				t.Errorf("%s run %d: prebuild=%s, want %s\n%s", label, i, s["prebuild"], prebuild(i), r)
			}
			sums[i] = s
		}
		t.Logf("%s: %d concurrent runs in %s, results %v", label, n, time.Since(start).Round(time.Millisecond), stressResults(sums))
		return sums
	}
	builders := func(i int) string {
		if i%4 == 0 {
			return "build"
		}
		return "none"
	}
	for i, s := range wave("cold", builders) {
		if s["result"] != "cold" && s["result"] != "warm" {
			t.Errorf("cold wave run %d: result=%s", i, s["result"])
		}
	}
	repo := filepath.Join(base, "verify")
	stressGoModule(t, repo)
	stressGoVerify(t, repo, cache, filepath.Join(cache, "build"))

	unchanged := ecoUnchanged(t, cache)
	none := func(int) string { return "none" }
	for i, s := range wave("readonly", none, "PREWARM_CACHE_MODE=readOnly", "GOPROXY=off") {
		if s["result"] != "warm" {
			t.Errorf("readOnly run %d: result=%s, want warm", i, s["result"])
		}
	}
	unchanged("readOnly consumers changed the shared cache:")
}

// TestStressGomodKilledRunLeavesAUsableCache: a seeded loop; each
// iteration starts a run on an empty module cache and SIGKILLs it at a
// random moment (during go mod download or the prebuild), then the next
// run on the same cache must succeed and `go mod verify` must pass. The
// iterations share one GOCACHE (set in the env, which the script keeps),
// so the standard library is compiled once. 3 iterations, 10 with
// PREWARM_STRESS=1.
func TestStressGomodKilledRunLeavesAUsableCache(t *testing.T) {
	t.Parallel()
	ecoNeedsGo(t)
	iters := stressPick(3, 10)
	rng := rand.New(rand.NewPCG(20260612, 6))
	shells := ecoShells(t)
	script := ecoScript(t, "gomod")
	base := ecoTempDir(t)
	gocache := filepath.Join(base, "gocache")
	killed := 0
	iteration := func(i int, maxDelay int) {
		t.Helper()
		sh := shells[rng.IntN(len(shells))]
		cache := filepath.Join(base, fmt.Sprintf("cache-%d", i))
		repo := filepath.Join(base, fmt.Sprintf("killed-%d", i))
		stressGoModule(t, repo)
		run := stressStart(t, sh, script, "prewarm-gomod", repo, stressGoEnv(repo, filepath.Join(base, fmt.Sprintf("home-k%d", i)), cache, "GOCACHE="+gocache))
		time.Sleep(time.Duration(100+rng.IntN(maxDelay)) * time.Millisecond)
		r, hit := run.kill()
		if hit {
			killed++
		} else if r.exitCode != 0 {
			t.Fatalf("iteration %d: the run failed on its own\n%s", i, r)
		}
		t.Logf("iteration %d (%s): killed=%v after %s", i, sh.name, hit, r.elapsed.Round(time.Millisecond))
		next := filepath.Join(base, fmt.Sprintf("next-%d", i))
		stressGoModule(t, next)
		r = ecoRunScript(t, sh, script, "prewarm-gomod", next, stressGoEnv(next, filepath.Join(base, fmt.Sprintf("home-n%d", i)), cache, "GOCACHE="+gocache), 8*time.Minute)
		s := ecoOK(t, sh, r)
		if s["prebuild"] != "build" {
			t.Errorf("iteration %d: after the kill the prebuild says %s\n%s", i, s["prebuild"], r)
		}
		stressGoVerify(t, next, cache, gocache)
	}
	for i := 0; i < iters; i++ {
		iteration(i, 800)
	}
	for k := 0; killed == 0 && k < 5; k++ {
		iteration(iters+k, 50)
	}
	if killed == 0 {
		t.Errorf("no kill landed while a run was going: the loop did not test a crash")
	}
}
