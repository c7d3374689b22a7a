package scripts

// What a restored tree is besides its bytes: whose it is, its modes and its
// times (pw_snapshot_restore, lib.sh.tpl), and when a setup renews its
// lease (pw_record_use).

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// ecoEntry is what a restore must keep of one entry besides its content.
type ecoEntry struct {
	mode     fs.FileMode
	mtime    time.Time
	uid, gid uint32
}

func ecoEntries(t *testing.T, root string) map[string]ecoEntry {
	t.Helper()
	out := map[string]ecoEntry{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		st := info.Sys().(*syscall.Stat_t)
		rel, _ := filepath.Rel(root, p)
		out[rel] = ecoEntry{info.Mode(), info.ModTime(), st.Uid, st.Gid}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestLibRestoredTreeIsTheRestorersWithTheRecordedModesAndTimes: a tree
// published by another user (files owned by uid 4321) is restored owned by
// whoever restores it, as an install would make it (root's tar would
// otherwise chown every file to the archive's owner), with every file's
// and directory's mode and every file's mtime as published. The split
// directories (made by the restore, not by tar) get their recorded modes:
// through mkdir's umask when they share one with rwx for the owner, else by
// chmod after the extraction (modes that differ, and a root the owner may
// not write, into which no tar could extract). Under dash with GNU tar and
// under busybox with its tar. Needs root (to own files as another user).
func TestLibRestoredTreeIsTheRestorersWithTheRecordedModesAndTimes(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to publish files owned by another user")
	}
	old := time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC)
	cases := []struct {
		name string
		// dirs sets the source's directory modes: root for ".", sub for the rest
		root, sub fs.FileMode
	}{
		{"one mode", 0o750, 0o750},
		{"modes differ", 0o751, 0o700},
		{"root not writable", 0o555, 0o755},
	}
	for _, sh := range ecoShells(t) {
		for _, c := range cases {
			t.Run(sh.name+"/"+c.name, func(t *testing.T) {
				base, src, env := ecoPublishedSample(t, sh, func(src string) {
					err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
						if err != nil {
							return err
						}
						if err := os.Lchown(p, 4321, 4321); err != nil {
							return err
						}
						if d.Type().IsRegular() {
							return os.Chtimes(p, old, old)
						}
						return nil
					})
					if err != nil {
						t.Fatal(err)
					}
					// deepest first, so that a parent's mode cannot stop the walk
					var dirs []string
					_ = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
						if err == nil && d.IsDir() && p != src {
							dirs = append(dirs, p)
						}
						return nil
					})
					for i := len(dirs) - 1; i >= 0; i-- {
						if err := os.Chmod(dirs[i], c.sub); err != nil {
							t.Fatal(err)
						}
					}
					if err := os.Chmod(src, c.root); err != nil {
						t.Fatal(err)
					}
				})
				m, err := ecoReadManifest(filepath.Join(base, "cache", "snapshots", ecoTestKey+ecoSnapshotSuffix))
				if err != nil {
					t.Fatal(err)
				}
				if len(m.dirs) < 2 {
					t.Fatalf("the sample tree must split directories below its root, manifest dirs %v", m.dirs)
				}
				target := filepath.Join(base, "repo", "node_modules")
				if r := ecoLib(t, sh, base, env, "pw_snapshot_restore", ecoTestKey, target); r.exitCode != 0 {
					t.Fatalf("restore: want 0\n%s", r)
				}
				want, got := ecoEntries(t, src), ecoEntries(t, target)
				if len(got) != len(want) {
					t.Fatalf("restored %d entries, published %d", len(got), len(want))
				}
				uid, gid := uint32(os.Geteuid()), uint32(os.Getegid())
				bad := 0
				for p, w := range want {
					g, ok := got[p]
					var why []string
					switch {
					case !ok:
						why = append(why, "missing")
					default:
						if g.mode != w.mode {
							why = append(why, "mode "+g.mode.String()+", published "+w.mode.String())
						}
						if w.mode.IsRegular() && !g.mtime.Equal(w.mtime) {
							why = append(why, "mtime "+g.mtime.String()+", published "+w.mtime.String())
						}
						if g.uid != uid || g.gid != gid {
							why = append(why, "owned by another user")
						}
					}
					if len(why) > 0 && bad < 10 {
						bad++
						t.Errorf("%s: %s", p, strings.Join(why, "; "))
					}
				}
				if tmp := ecoTempsUnder(t, base); len(tmp) != 0 {
					t.Errorf("temporary names left: %v", tmp)
				}
			})
		}
	}
}

// TestLibRecordUseRenewsTheLeaseOnceItIsTenMinutesOld: pw_record_use
// touches the setup's lease when it was taken (or last renewed) 10 minutes
// ago or more, not after every workdir (a touch is a process, and a setup
// is usually over in less): a lease counts as a crashed setup's only after
// 120 minutes.
func TestLibRecordUseRenewsTheLeaseOnceItIsTenMinutesOld(t *testing.T) {
	for _, sh := range ecoShells(t) {
		t.Run(sh.name, func(t *testing.T) {
			base := ecoTempDir(t)
			// the lease's mtime is set back to 2001; it is printed after a
			// use record with the lease 9 minutes old, then 10, then again.
			script := `pw_cache_writable || exit 9
touch -t 200109090146.40 "$PW_LEASE"; echo "old $(stat -c %Y "$PW_LEASE")"
PW_LEASE_T=$((PW_LEASE_T - 54000)); pw_record_use k1; echo "9min $(stat -c %Y "$PW_LEASE")"
PW_LEASE_T=$((PW_LEASE_T - 6000)); pw_record_use k2; echo "10min $(stat -c %Y "$PW_LEASE")"
pw_record_use k3; echo "again $(stat -c %Y "$PW_LEASE")"`
			r := ecoLib(t, sh, base, ecoLibEnv(base), "eval", script)
			if r.exitCode != 0 {
				t.Fatalf("want 0\n%s", r)
			}
			now := time.Now().Unix()
			lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
			if len(lines) != 4 || !strings.HasPrefix(lines[0], "old ") {
				t.Fatalf("want 4 lines\n%s", r)
			}
			if lines[1] != "9min "+strings.TrimPrefix(lines[0], "old ") {
				t.Errorf("a lease 9 minutes old was renewed: %q, %q", lines[0], lines[1])
			}
			for _, l := range lines[2:] {
				var label string
				var mt int64
				if _, err := fmt.Sscan(l, &label, &mt); err != nil || mt < now-60 {
					t.Errorf("a lease 10 minutes old was not renewed (or the renewal was lost): %q", l)
				}
			}
			if _, err := os.Stat(filepath.Join(base, "cache", ".prewarm", "used", "k3")); err != nil {
				t.Errorf("no use record: %v", err)
			}
		})
	}
}
