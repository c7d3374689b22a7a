package cache

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Entry is one top-level name of a cache, or one name under snapshots/.
type Entry struct {
	Part  Part
	Name  string // relative to the cache root ("store", "snapshots/<key>.tar")
	Key   string // snapshots: the key the entry belongs to
	Bytes int64  // disk usage as du counts it (allocated blocks)
	MTime time.Time
}

// Record is a use record, .prewarm/used/<key>, written by a setup script
// (pw_record_use) every time a workdir used the key on a writable cache.
type Record struct {
	Key     string
	Preset  string
	Workdir string
	Stores  []string
	Created time.Time // when the first record of the key was written
	Used    time.Time // the record's mtime: the last use
}

// Lease is a running setup's claim on the cache's stores.
type Lease struct {
	Name  string
	MTime time.Time
}

// Inventory is everything prewarm knows about one preset's cache.
type Inventory struct {
	Root    string
	Preset  string // "" when unknown
	Entries []Entry
	Records map[string]Record
	Leases  []Lease
	Lock    *time.Time // mtime of a held trim lock
	Budget  int64      // from .prewarm/budget (0: none recorded)
}

// Scan reads the cache of preset (may be "") at root. It stays on root's
// file system and does not follow symbolic links.
func Scan(root, preset string) (*Inventory, error) {
	fi, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("cache path %s: %w", root, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("cache path %s is not a directory", root)
	}
	dev := devOf(fi)
	inv := &Inventory{Root: root, Preset: preset, Records: map[string]Record{}}
	top, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	for _, d := range top {
		name := d.Name()
		part := ClassifyTop(preset, name)
		if part == PartSnapshot {
			sub, err := os.ReadDir(filepath.Join(root, name))
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, err
			}
			for _, s := range sub {
				e := Entry{Name: SnapshotsDir + "/" + s.Name(), Part: PartSnapshot, Key: SnapshotKey(s.Name())}
				if strings.HasPrefix(s.Name(), TempPrefix) {
					e.Part = PartTemp
				} else if e.Key == "" {
					e.Part = PartOther
				}
				if err := measure(root, &e, dev); err != nil {
					return nil, err
				}
				inv.Entries = append(inv.Entries, e)
			}
			continue
		}
		e := Entry{Name: name, Part: part}
		if err := measure(root, &e, dev); err != nil {
			return nil, err
		}
		inv.Entries = append(inv.Entries, e)
	}
	sortEntries(inv.Entries)
	if err := inv.readMeta(); err != nil {
		return nil, err
	}
	return inv, nil
}

func sortEntries(es []Entry) {
	sort.Slice(es, func(i, j int) bool { return es[i].Name < es[j].Name })
}

func devOf(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Dev)
	}
	return 0
}

// measure fills e.Bytes (st_blocks*512 of every file below, each inode
// once, like du) and e.MTime. A name that vanished meanwhile counts 0.
func measure(root string, e *Entry, dev uint64) error {
	p := filepath.Join(root, filepath.FromSlash(e.Name))
	fi, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	e.MTime = fi.ModTime()
	seen := map[uint64]bool{}
	err = filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		info, err := d.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		st, ok := info.Sys().(*syscall.Stat_t)
		if !ok {
			e.Bytes += info.Size()
			return nil
		}
		if d.IsDir() && dev != 0 && uint64(st.Dev) != dev {
			return fs.SkipDir
		}
		if seen[st.Ino] {
			return nil
		}
		seen[st.Ino] = true
		e.Bytes += st.Blocks * 512
		return nil
	})
	return err
}

func (inv *Inventory) readMeta() error {
	used := filepath.Join(inv.Root, filepath.FromSlash(UsedDir))
	ents, err := os.ReadDir(used)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	for _, d := range ents {
		if !ValidKey(d.Name()) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(used, d.Name()))
		if err != nil {
			continue // replaced or removed meanwhile
		}
		info, err := d.Info()
		if err != nil {
			continue
		}
		inv.Records[d.Name()] = ParseRecord(d.Name(), string(b), info.ModTime())
	}
	leases, err := os.ReadDir(filepath.Join(inv.Root, filepath.FromSlash(LeasesDir)))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	for _, d := range leases {
		if strings.HasPrefix(d.Name(), TempPrefix) {
			continue
		}
		if info, err := d.Info(); err == nil {
			inv.Leases = append(inv.Leases, Lease{Name: d.Name(), MTime: info.ModTime()})
		}
	}
	if fi, err := os.Stat(filepath.Join(inv.Root, filepath.FromSlash(LockDir))); err == nil {
		t := fi.ModTime()
		inv.Lock = &t
	}
	if b, err := os.ReadFile(filepath.Join(inv.Root, filepath.FromSlash(BudgetFile))); err == nil {
		if n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && n > 0 {
			inv.Budget = n
		}
	}
	return nil
}

// ParseRecord reads the "field=value" lines of a use record.
func ParseRecord(key, text string, used time.Time) Record {
	r := Record{Key: key, Used: used}
	for _, line := range strings.Split(text, "\n") {
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		switch k {
		case "preset":
			r.Preset = v
		case "workdir":
			r.Workdir = v
		case "stores":
			r.Stores = strings.Fields(v)
		case "created":
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				r.Created = time.Unix(n, 0)
			}
		}
	}
	if r.Created.IsZero() {
		r.Created = used
	}
	return r
}

// Snapshot is one key's snapshot: every entry under snapshots/ that starts
// with the key, plus what its use record says.
type Snapshot struct {
	Key      string
	Entries  []string
	Bytes    int64
	Workdir  string
	Created  time.Time
	LastUsed time.Time
}

// Snapshots groups the snapshot entries by key, least recently used first
// (ties by key). Last use is the use record's mtime when there is one, else
// the newest entry's mtime (a restore on a writable cache touches it).
// Created is the record's created time, else the oldest entry's mtime.
func (inv *Inventory) Snapshots() []Snapshot {
	by := map[string]*Snapshot{}
	var keys []string
	for _, e := range inv.Entries {
		if e.Part != PartSnapshot || e.Key == "" {
			continue
		}
		s := by[e.Key]
		if s == nil {
			s = &Snapshot{Key: e.Key, Created: e.MTime}
			by[e.Key] = s
			keys = append(keys, e.Key)
		}
		s.Entries = append(s.Entries, e.Name)
		s.Bytes += e.Bytes
		if e.MTime.After(s.LastUsed) {
			s.LastUsed = e.MTime
		}
		if e.MTime.Before(s.Created) {
			s.Created = e.MTime
		}
	}
	out := make([]Snapshot, 0, len(keys))
	for _, k := range keys {
		s := by[k]
		if r, ok := inv.Records[k]; ok {
			s.Workdir = r.Workdir
			s.Created = r.Created
			s.LastUsed = r.Used
		}
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].LastUsed.Equal(out[j].LastUsed) {
			return out[i].LastUsed.Before(out[j].LastUsed)
		}
		return out[i].Key < out[j].Key
	})
	return out
}

// Usage is the bytes of one cache by part.
type Usage struct {
	Preset    string
	Root      string
	Snapshots int64
	Stores    int64
	Temp      int64
	Other     int64 // .prewarm and names that are no known part
	Budget    int64
	ByStore   map[string]int64
}

// Total is every byte counted.
func (u Usage) Total() int64 { return u.Snapshots + u.Stores + u.Temp + u.Other }

// Usage sums the entries by part; budget (when > 0) overrides the budget
// the pruner recorded.
func (inv *Inventory) Usage(budget int64) Usage {
	u := Usage{Preset: inv.Preset, Root: inv.Root, Budget: inv.Budget, ByStore: map[string]int64{}}
	if budget > 0 {
		u.Budget = budget
	}
	for _, e := range inv.Entries {
		switch e.Part {
		case PartSnapshot:
			u.Snapshots += e.Bytes
		case PartStore:
			u.Stores += e.Bytes
			u.ByStore[e.Name] += e.Bytes
		case PartTemp:
			u.Temp += e.Bytes
		default:
			u.Other += e.Bytes
		}
	}
	return u
}
