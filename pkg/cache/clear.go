package cache

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// The trim protocol, shared with the scripts (lib.sh.tpl pw_lease_take,
// prune.sh.tpl pw_prune_stores):
//
//   - A setup that writes the cache creates .prewarm/leases/<name> first,
//     then looks for .prewarm/lock; when a live lock is there it removes its
//     lease and installs with a per-pod cache (result=fallback). It touches
//     its lease after every workdir and removes it when it exits.
//   - A trimmer (the pruner, `prewarm cache clear`) creates .prewarm/lock
//     with mkdir (atomic: one trimmer at a time), then looks for leases.
//     Live leases mean running setups: no store is touched.
//   - Both sides write first and read second, so at least one of them sees
//     the other: a setup never reads a store that a trimmer removes.
//   - What goes is renamed to a ".tmp-trash-*" name beside it first (one
//     rename(2)) and then deleted, so a reader sees the whole tree or none.
//
// Snapshots need no lock: a restore checks the snapshot before it renames
// anything into place, so a snapshot removed under a restore costs that
// restore a fallback install, never a broken tree.

// Clock is time.Now, replaceable in tests.
var Clock = time.Now

var trashSeq atomic.Int64

// Lock is a held trim lock.
type Lock struct{ dir string }

// LockError says who holds the lock.
type LockError struct {
	Path  string
	Owner string
	Since time.Time
}

func (e *LockError) Error() string {
	return fmt.Sprintf("cache is being trimmed (lock %s held by %s since %s); try again later", e.Path, e.Owner, e.Since.UTC().Format(time.RFC3339))
}

// LeaseError lists the setups that use the cache.
type LeaseError struct{ Leases []Lease }

func (e *LeaseError) Error() string {
	names := make([]string, len(e.Leases))
	for i, l := range e.Leases {
		names[i] = l.Name
	}
	return fmt.Sprintf("%d running setup(s) use this cache (leases %s); stores are not cleared under them: retry when they finish or pass a --wait", len(e.Leases), strings.Join(names, ", "))
}

// AcquireLock takes .prewarm/lock of root (mkdir). A lock older than
// LockStaleMinutes is a crashed trimmer's and is taken over.
func AcquireLock(root, owner string) (*Lock, error) {
	meta := filepath.Join(root, MetaDir)
	if err := os.MkdirAll(meta, 0o775); err != nil {
		return nil, fmt.Errorf("cannot create %s: %w", meta, err)
	}
	dir := filepath.Join(root, filepath.FromSlash(LockDir))
	for attempt := 0; attempt < 2; attempt++ {
		err := os.Mkdir(dir, 0o775)
		if err == nil {
			_ = os.WriteFile(filepath.Join(dir, "owner"), []byte(owner+"\n"), 0o664)
			return &Lock{dir: dir}, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("cannot create lock %s: %w", dir, err)
		}
		fi, serr := os.Stat(dir)
		if serr != nil {
			continue // released meanwhile
		}
		if Clock().Sub(fi.ModTime()) <= LockStaleMinutes*time.Minute {
			who, _ := os.ReadFile(filepath.Join(dir, "owner"))
			o := strings.TrimSpace(string(who))
			if o == "" {
				o = "unknown"
			}
			return nil, &LockError{Path: dir, Owner: o, Since: fi.ModTime()}
		}
		if err := trash(dir); err != nil {
			return nil, fmt.Errorf("cannot remove stale lock %s: %w", dir, err)
		}
	}
	return nil, fmt.Errorf("cannot take lock %s: it keeps coming back", dir)
}

// Release drops the lock.
func (l *Lock) Release() error {
	if l == nil {
		return nil
	}
	return os.RemoveAll(l.dir)
}

// LiveLeases returns the leases touched within LeaseStaleMinutes and
// removes the stale ones (crashed setups).
func LiveLeases(root string) ([]Lease, error) {
	dir := filepath.Join(root, filepath.FromSlash(LeasesDir))
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var live []Lease
	for _, d := range ents {
		if strings.HasPrefix(d.Name(), TempPrefix) {
			continue
		}
		info, err := d.Info()
		if err != nil {
			continue
		}
		if Clock().Sub(info.ModTime()) > LeaseStaleMinutes*time.Minute {
			_ = os.Remove(filepath.Join(dir, d.Name()))
			continue
		}
		live = append(live, Lease{Name: d.Name(), MTime: info.ModTime()})
	}
	sort.Slice(live, func(i, j int) bool { return live[i].Name < live[j].Name })
	return live, nil
}

// trash renames p to a ".tmp-trash-" name in the same directory (atomic),
// then deletes the renamed tree. After the rename, p is gone for every
// reader; a failed delete leaves only a temp name, which the pruner removes.
func trash(p string) error {
	dir, base := filepath.Split(p)
	t := filepath.Join(dir, fmt.Sprintf("%strash-%s-%d-%d", TempPrefix, base, os.Getpid(), trashSeq.Add(1)))
	if err := os.Rename(p, t); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	if err := os.RemoveAll(t); err != nil {
		// read-only directories (a Go module cache without -modcacherw)
		_ = filepath.WalkDir(t, func(q string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				_ = os.Chmod(q, 0o755)
			}
			return nil
		})
		return os.RemoveAll(t)
	}
	return nil
}

// What to clear.
const (
	ClearAll       = "all"
	ClearSnapshots = "snapshots"
	ClearStores    = "stores"
)

// ClearOptions select what Clear removes.
type ClearOptions struct {
	Part  string        // all (default), snapshots, stores
	Store string        // with Part stores: only this store directory
	Wait  time.Duration // how long to wait for running setups' leases
	Owner string        // written into the lock
}

// Result lists what was removed.
type Result struct {
	Removed []string // names relative to the cache root
	Bytes   int64
}

// Check refuses a part that is none of all, snapshots, stores, and a
// store name without the part stores or that is no store of preset.
func (o ClearOptions) Check(preset string) error {
	switch o.Part {
	case "", ClearAll, ClearSnapshots, ClearStores:
	default:
		return fmt.Errorf("part %q is not one of all, snapshots, stores", o.Part)
	}
	if inPlace[preset] && o.Part != ClearSnapshots {
		return fmt.Errorf("the %s store (%s) is read in place by running Task pods, which hold no lease: clear refuses it; to drop a pinned file, remove it from presets.%s.files, or delete the claim when no Task runs", preset, strings.Join(Stores(preset), ", "), preset)
	}
	if o.Store != "" {
		if o.Part != ClearStores {
			return fmt.Errorf("a store name (%q) needs the part stores, not %q", o.Store, o.Part)
		}
		if preset != "" && ClassifyTop(preset, o.Store) != PartStore {
			return fmt.Errorf("%q is not a store of preset %s (stores: %s)", o.Store, preset, strings.Join(Stores(preset), ", "))
		}
	}
	return nil
}

// Clear removes the snapshots and/or stores of the cache of preset at root.
// Stores are removed only under the trim lock with no live lease (waiting
// up to Wait for running setups to finish); snapshots go without the lock.
func Clear(root, preset string, o ClearOptions) (Result, error) {
	if err := o.Check(preset); err != nil {
		return Result{}, err
	}
	part := o.Part
	if part == "" {
		part = ClearAll
	}
	inv, err := Scan(root, preset)
	if err != nil {
		return Result{}, err
	}
	var res Result
	if part == ClearAll || part == ClearSnapshots {
		for _, s := range inv.Snapshots() {
			if err := removeSnapshot(root, s, &res); err != nil {
				return res, err
			}
		}
	}
	if part == ClearAll || part == ClearStores {
		var targets []Entry
		for _, e := range inv.Entries {
			if e.Part == PartStore && (o.Store == "" || e.Name == o.Store) {
				targets = append(targets, e)
			}
		}
		if len(targets) > 0 {
			if err := clearStores(root, targets, o, &res); err != nil {
				return res, err
			}
		}
	}
	if part == ClearAll {
		for k := range inv.Records {
			_ = os.Remove(filepath.Join(root, filepath.FromSlash(UsedDir), k))
		}
	}
	return res, nil
}

func removeSnapshot(root string, s Snapshot, res *Result) error {
	for _, n := range s.Entries {
		if err := trash(filepath.Join(root, filepath.FromSlash(n))); err != nil {
			return fmt.Errorf("cannot remove %s: %w", n, err)
		}
		res.Removed = append(res.Removed, n)
	}
	res.Bytes += s.Bytes
	return nil
}

func clearStores(root string, targets []Entry, o ClearOptions, res *Result) error {
	owner := o.Owner
	if owner == "" {
		host, _ := os.Hostname()
		owner = "prewarm-cache-clear " + host + " pid " + strconv.Itoa(os.Getpid())
	}
	lock, err := AcquireLock(root, owner)
	if err != nil {
		return err
	}
	defer func() { _ = lock.Release() }()
	deadline := Clock().Add(o.Wait)
	for {
		// keep the lock fresh: a setup treats a lock older than
		// LockStaleMinutes as a crash's and would go ahead
		now := time.Now()
		_ = os.Chtimes(lock.dir, now, now)
		live, err := LiveLeases(root)
		if err != nil {
			return err
		}
		if len(live) == 0 {
			break
		}
		if !Clock().Before(deadline) {
			return &LeaseError{Leases: live}
		}
		time.Sleep(500 * time.Millisecond)
	}
	for _, e := range targets {
		if err := trash(filepath.Join(root, e.Name)); err != nil {
			return fmt.Errorf("cannot remove store %s: %w", e.Name, err)
		}
		res.Removed = append(res.Removed, e.Name)
		res.Bytes += e.Bytes
	}
	return nil
}

// CheckKey refuses a key that is not 12 to 64 lower-case hex digits.
func CheckKey(key string) error {
	if len(key) < 12 || len(key) > 64 || strings.Trim(key, "0123456789abcdef") != "" {
		return fmt.Errorf("key %q must be 12 to 64 lower-case hex digits (the key= of a summary line)", key)
	}
	return nil
}

// Invalidate removes the snapshot of one key and its use record. key may
// be a prefix of at least 12 hex digits (the summary line shows 20) that
// matches exactly one snapshot or record.
func Invalidate(root, preset, key string) (Result, error) {
	if err := CheckKey(key); err != nil {
		return Result{}, err
	}
	inv, err := Scan(root, preset)
	if err != nil {
		return Result{}, err
	}
	match := map[string]bool{}
	for _, s := range inv.Snapshots() {
		if strings.HasPrefix(s.Key, key) {
			match[s.Key] = true
		}
	}
	for k := range inv.Records {
		if strings.HasPrefix(k, key) {
			match[k] = true
		}
	}
	switch len(match) {
	case 0:
		return Result{}, fmt.Errorf("no snapshot or use record for key %s in %s", key, root)
	case 1:
	default:
		ks := slices.Sorted(maps.Keys(match))
		return Result{}, fmt.Errorf("key %s matches %d keys (%s); give more digits", key, len(ks), strings.Join(ks, ", "))
	}
	var full string
	for k := range match {
		full = k
	}
	var res Result
	for _, s := range inv.Snapshots() {
		if s.Key == full {
			if err := removeSnapshot(root, s, &res); err != nil {
				return res, err
			}
		}
	}
	rec := filepath.Join(root, filepath.FromSlash(UsedDir), full)
	if err := os.Remove(rec); err == nil {
		res.Removed = append(res.Removed, UsedDir+"/"+full)
	}
	return res, nil
}
