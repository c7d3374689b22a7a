package scripts

// prewarm.scriptpart.trees (pwt_copy, pwt_publish), the publish step of the
// cargo, maven and gradle writers, run on its own under dash and busybox.

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	templatesgo "github.com/prewarm-dev/prewarm/templates-go"
)

// offlineTreesDriver is the library plus the tree helpers, a test filter,
// then "$@" as a command: `sh -c DRIVER x pwt_publish SRC LINK FILTER`.
func offlineTreesDriver(t *testing.T) string {
	t.Helper()
	var parts []string
	for _, name := range []string{"prewarm.script.lib", "prewarm.scriptpart.trees"} {
		s, err := templatesgo.Execute(name, map[string]any{})
		if err != nil {
			t.Fatalf("render %s: %v", name, err)
		}
		parts = append(parts, s)
	}
	return "#!/bin/sh\n" + strings.Join(parts, "\n") + `
pwt_test_filter() { find "$1" -name '*.lock' -exec rm -f {} +; }
pw_init trees
"$@"
`
}

func offlineTrees(t *testing.T, sh offlineShell, cache string, args ...string) offlineRun {
	t.Helper()
	argv := append([]string{sh.argv[0], "-c", offlineTreesDriver(t), "trees"}, args...)
	env := offlineEnv(sh, "PREWARM_CACHE="+cache, "PREWARM_HOME="+filepath.Join(filepath.Dir(cache), "home"))
	return offlineExec(t, filepath.Dir(cache), env, time.Minute, argv...)
}

// offlineGenTree writes a generation source: files a and sub/b, both
// starting with label, size bytes each.
func offlineGenTree(t *testing.T, dir, label string, size int) {
	t.Helper()
	body := []byte(label + "\n" + strings.Repeat("x", max(0, size-len(label)-1)))
	for _, f := range []string{"a", "sub/b"} {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func offlineReadLabel(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "a"))
	if err != nil {
		t.Fatal(err)
	}
	label, _, _ := strings.Cut(string(b), "\n")
	return label
}

func TestOfflineTreesPublishKeepsCurrentAndPreviousGeneration(t *testing.T) {
	offlineEachShell(t, func(t *testing.T, sh offlineShell, root string) {
		cache := filepath.Join(root, "cache")
		link := filepath.Join(cache, "home")
		// A plain directory written in place before (a Maven 3.9
		// writer does that) is taken over as a generation.
		offlineGenTree(t, link, "plain", 10)
		var current []string
		for i := 1; i <= 3; i++ {
			src := filepath.Join(root, fmt.Sprintf("src%d", i))
			offlineGenTree(t, src, fmt.Sprintf("gen%d", i), 100)
			if err := os.WriteFile(filepath.Join(src, "sub", "drop.lock"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
			r := offlineTrees(t, sh, cache, "pwt_publish", src, link, "pwt_test_filter")
			if r.exitCode != 0 || len(offlineLines(r.stderr, "warning")) > 0 {
				t.Fatalf("publish %d:\n%s", i, r)
			}
			gen := offlineLinkGeneration(t, link)
			if got := offlineReadLabel(t, link); got != fmt.Sprintf("gen%d", i) {
				t.Fatalf("after publish %d the link shows %q", i, got)
			}
			if left := offlineFind(t, gen, "*.lock"); len(left) > 0 {
				t.Errorf("the filter did not run on the published copy: %v", left)
			}
			if _, err := os.Stat(filepath.Join(src, "sub", "drop.lock")); err != nil {
				t.Errorf("the filter must work on the copy, not the source: %v", err)
			}
			current = append(current, filepath.Base(gen))
			gens := offlineGenerations(t, link)
			sort.Strings(gens)
			want := []string{current[len(current)-1]}
			if i == 1 {
				want = append(want, current[0]+"-before") // the plain directory
			} else {
				want = append(want, current[len(current)-2])
			}
			sort.Strings(want)
			if strings.Join(gens, " ") != strings.Join(want, " ") {
				t.Fatalf("after publish %d generations = %v, want %v", i, gens, want)
			}
		}
		offlineNoTemps(t, cache)
	})
}

// Readers that resolve the link once (as tar -C and Gradle's path lookups
// under one resolution do) see one complete generation, never a partial
// one, while a writer publishes again and again.
func TestOfflineTreesReadersNeverSeeAPartialGeneration(t *testing.T) {
	sh := offlineShells(t)[1] // busybox: mv -T, tar and cp of an alpine image
	root := t.TempDir()
	cache := filepath.Join(root, "cache")
	link := filepath.Join(cache, "home")
	const size = 4 << 20
	src := filepath.Join(root, "src")
	offlineGenTree(t, src, "gen0", size)
	if r := offlineTrees(t, sh, cache, "pwt_publish", src, link, ":"); r.exitCode != 0 {
		t.Fatalf("first publish:\n%s", r)
	}
	var stop atomic.Bool
	var reads, bad atomic.Int64
	var mu sync.Mutex
	var problems []string
	var wg sync.WaitGroup
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				dir, err := filepath.EvalSymlinks(link)
				if err != nil {
					bad.Add(1)
					mu.Lock()
					problems = append(problems, "resolve: "+err.Error())
					mu.Unlock()
					continue
				}
				a, errA := os.ReadFile(filepath.Join(dir, "a"))
				b, errB := os.ReadFile(filepath.Join(dir, "sub", "b"))
				reads.Add(1)
				if errA != nil || errB != nil || len(a) != size || !bytes.Equal(a, b) {
					if _, err := os.Stat(dir); os.IsNotExist(err) {
						continue // retired two publishes later; not a partial view
					}
					bad.Add(1)
					mu.Lock()
					problems = append(problems, fmt.Sprintf("%s: a=%d bytes (%v) b=%d bytes (%v)", dir, len(a), errA, len(b), errB))
					mu.Unlock()
				}
			}
		}()
	}
	for i := 1; i <= 6; i++ {
		offlineGenTree(t, src, fmt.Sprintf("gen%d", i), size)
		if r := offlineTrees(t, sh, cache, "pwt_publish", src, link, ":"); r.exitCode != 0 {
			stop.Store(true)
			wg.Wait()
			t.Fatalf("publish %d:\n%s", i, r)
		}
	}
	stop.Store(true)
	wg.Wait()
	if bad.Load() > 0 {
		t.Fatalf("%d of %d reads saw a partial or missing tree:\n%s", bad.Load(), reads.Load(), strings.Join(problems[:min(len(problems), 5)], "\n"))
	}
	if reads.Load() == 0 {
		t.Fatal("no read happened during the publishes")
	}
	if got := offlineReadLabel(t, link); got != "gen6" {
		t.Fatalf("final generation %q, want gen6", got)
	}
}

func TestOfflineTreesCopyReportsFailure(t *testing.T) {
	offlineEachShell(t, func(t *testing.T, sh offlineShell, root string) {
		cache := filepath.Join(root, "cache")
		src := filepath.Join(root, "src")
		offlineGenTree(t, src, "x", 10)
		dst := filepath.Join(root, "dst")
		if r := offlineTrees(t, sh, cache, "pwt_copy", src, dst, "a", "sub"); r.exitCode != 0 {
			t.Fatalf("copy:\n%s", r)
		}
		if offlineReadLabel(t, dst) != "x" {
			t.Fatal("copy lost content")
		}
		if r := offlineTrees(t, sh, cache, "pwt_copy", src, dst, "missing"); r.exitCode == 0 {
			t.Fatalf("copying a missing path must fail\n%s", r)
		}
		if r := offlineTrees(t, sh, cache, "pwt_publish", filepath.Join(root, "nope"), filepath.Join(cache, "x"), ":"); r.exitCode == 0 || len(offlineLines(r.stderr, "not published")) != 1 {
			t.Fatalf("publishing a missing source must fail with a warning\n%s", r)
		}
		if _, err := os.Lstat(filepath.Join(cache, "x")); !os.IsNotExist(err) {
			t.Fatalf("a failed publish must not create the link: %v", err)
		}
		offlineNoTemps(t, cache)
	})
}
