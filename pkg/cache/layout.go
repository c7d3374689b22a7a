// Package cache reads and clears prewarm cache volumes: what `prewarm cache
// du|ls|clear|invalidate` does on a mounted path, and what it prints for a
// cache reached through a Job in the cluster.
//
// The layout is the one the setup scripts write (templates-go/scripts):
//
//	<cache>/snapshots/<key>...    install snapshots (npm, pip); every entry
//	                              whose name starts with the key belongs to it
//	<cache>/<store>/              a package manager's store (see Stores)
//	<cache>/.prewarm/used/<key>   use records (mtime = last use)
//	<cache>/.prewarm/leases/*     one per running setup that writes the cache
//	<cache>/.prewarm/lock/        held while a pruner or `cache clear` trims
//	<cache>/.prewarm/budget       the budget the pruner last ran with
//	.tmp-*                        temporaries of a write in progress or a crash
package cache

import (
	"regexp"
	"sort"
	"strings"

	"github.com/prewarm-dev/prewarm/pkg/presets"
)

// Part is what an entry on a cache volume is.
type Part string

const (
	PartSnapshot Part = "snapshot"
	PartStore    Part = "store"
	PartTemp     Part = "temp"
	PartMeta     Part = "meta"
	PartOther    Part = "other"
)

// Names on the volume. The setup scripts (lib.sh.tpl: pw_record_use,
// pw_lease_take) and the pruner (prune.sh.tpl) use the same names; the
// tests in tests/scripts check both sides against these.
const (
	SnapshotsDir = "snapshots"
	MetaDir      = ".prewarm"
	UsedDir      = ".prewarm/used"
	LeasesDir    = ".prewarm/leases"
	LockDir      = ".prewarm/lock"
	BudgetFile   = ".prewarm/budget"
	TempPrefix   = ".tmp-"
)

// Stale thresholds, in minutes, shared with the scripts: a lock older than
// LockStaleMinutes belongs to a crashed trimmer; a lease not touched for
// LeaseStaleMinutes belongs to a crashed setup.
const (
	LockStaleMinutes  = 60
	LeaseStaleMinutes = 120
)

// stores maps each preset to the top-level directories of its cache that
// hold a package manager's store, as the preset templates
// (templates-go/presets/*.tpl) point the tools at them. A test renders the
// presets and checks every store path against this table.
var stores = map[string][]string{
	"npm":    {"store", "pnpm-store", "yarn"},
	"pip":    {"store", "uv", "poetry"},
	"gomod":  {"mod", "build"},
	"cargo":  {"home", "home.d"},
	"maven":  {"repository", "repository.d"},
	"gradle": {"ro"},
	// artifacts: the content-addressed blobs (artifacts.sh.tpl)
	"artifacts": {"blobs"},
}

// inPlace presets' stores are read in place by running Task pods for
// their whole run (artifacts: the agent's files are links into blobs/), and
// no lease covers an agent: clear refuses them, the pruner never trims
// them (their use records name no stores).
var inPlace = map[string]bool{"artifacts": true}

// snapshotPresets have install snapshots.
var snapshotPresets = map[string]bool{"npm": true, "pip": true}

// Presets lists the presets (pkg/presets, the one list; a test checks that
// stores has an entry for each), sorted: the order du and ls print.
func Presets() []string {
	out := presets.Names()
	sort.Strings(out)
	return out
}

// KnownPreset reports whether p is a preset name.
func KnownPreset(p string) bool { return presets.Known(p) }

// Stores returns the store directories of preset p (nil if unknown).
func Stores(p string) []string { return append([]string(nil), stores[p]...) }

// HasSnapshots reports whether preset p publishes install snapshots.
func HasSnapshots(p string) bool { return snapshotPresets[p] }

var keyRE = regexp.MustCompile(`^[0-9a-f]{64}`)

// SnapshotKey returns the key a name under snapshots/ belongs to, or "" for
// a name that is no snapshot (temporaries, dot names, names not starting
// with a 64-digit hex key). Both <key>.tar and sharded layouts (<key>/,
// <key>.<n>.tar, <key>.manifest) start with the key.
func SnapshotKey(name string) string {
	if strings.HasPrefix(name, ".") {
		return ""
	}
	return keyRE.FindString(name)
}

// ValidKey reports whether k is a full snapshot key (64 lower-case hex).
func ValidKey(k string) bool { return len(k) == 64 && keyRE.MatchString(k) }

// ClassifyTop says what a top-level name of the cache root of preset p is
// ("" p: any preset's store counts as a store).
func ClassifyTop(p, name string) Part {
	switch {
	case strings.HasPrefix(name, TempPrefix):
		return PartTemp
	case name == MetaDir:
		return PartMeta
	case name == SnapshotsDir:
		return PartSnapshot
	}
	if p == "" {
		for _, s := range stores {
			for _, n := range s {
				if n == name {
					return PartStore
				}
			}
		}
		return PartOther
	}
	for _, n := range stores[p] {
		if n == name {
			return PartStore
		}
	}
	return PartOther
}
