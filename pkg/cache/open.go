package cache

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/prewarm-dev/prewarm/pkg/presets"
)

// Target is one preset's cache on a mounted path.
type Target struct {
	Root   string
	Preset string // "" when it could not be told
}

// Resolve finds the caches at path. With preset, path is that preset's
// cache. Without, a path whose subdirectories are named after presets
// (/cache with /cache/npm, /cache/gomod, ...) holds one cache per such
// directory; otherwise path is one cache whose preset is read from its use
// records or its layout.
func Resolve(path, preset string) ([]Target, error) {
	if path == "" {
		return nil, fmt.Errorf("--path is required: the directory where the cache volume is mounted")
	}
	if preset != "" && !KnownPreset(preset) {
		return nil, presets.UnknownError(preset)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("cache path %s: %w", path, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("cache path %s is not a directory", path)
	}
	if preset != "" {
		if sub := filepath.Join(path, preset); isDir(sub) && !isDir(filepath.Join(path, SnapshotsDir)) && !hasStore(path, preset) {
			return []Target{{Root: sub, Preset: preset}}, nil
		}
		return []Target{{Root: path, Preset: preset}}, nil
	}
	var out []Target
	for _, p := range Presets() {
		sub := filepath.Join(path, p)
		if isDir(sub) && !hasStore(path, "") {
			out = append(out, Target{Root: sub, Preset: p})
		}
	}
	if len(out) > 0 {
		return out, nil
	}
	return []Target{{Root: path, Preset: detect(path)}}, nil
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// hasStore reports whether root has a store directory of preset (any
// preset for "").
func hasStore(root, preset string) bool {
	ents, err := os.ReadDir(root)
	if err != nil {
		return false
	}
	for _, e := range ents {
		if ClassifyTop(preset, e.Name()) == PartStore {
			return true
		}
	}
	return false
}

// detect tells the preset of a cache from its use records (the preset the
// setups wrote) or, without records, from the directories it holds.
func detect(root string) string {
	inv := &Inventory{Root: root, Records: map[string]Record{}}
	if err := inv.readMeta(); err == nil {
		seen := map[string]bool{}
		for _, r := range inv.Records {
			if KnownPreset(r.Preset) {
				seen[r.Preset] = true
			}
		}
		if len(seen) == 1 {
			for p := range seen {
				return p
			}
		}
	}
	has := func(n string) bool { _, err := os.Lstat(filepath.Join(root, n)); return err == nil }
	switch {
	case has("mod") || has("build"):
		return "gomod"
	case has("home.d") || has("home"):
		return "cargo"
	case has("repository") || has("repository.d"):
		return "maven"
	case has("ro"):
		return "gradle"
	case has("uv") || has("poetry"):
		return "pip"
	case has("pnpm-store") || has("yarn") || has("store/_cacache"):
		return "npm"
	case has("store/http") || has("store/http-v2") || has("store/wheels"):
		return "pip"
	}
	return ""
}

// ScanAll scans every target.
func ScanAll(ts []Target) ([]*Inventory, error) {
	var out []*Inventory
	for _, t := range ts {
		inv, err := Scan(t.Root, t.Preset)
		if err != nil {
			return nil, err
		}
		out = append(out, inv)
	}
	return out, nil
}
