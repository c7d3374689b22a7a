package presets

import (
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// skipDirs are never searched: installed trees, vendored code, build output
// and VCS metadata. Hidden directories are skipped too.
var skipDirs = map[string]bool{
	"node_modules": true, "vendor": true, "target": true, "build": true,
	"dist": true, "out": true, "venv": true, "__pycache__": true,
	"testdata": true, "bower_components": true,
}

// detector is one preset's lockfile rule.
type detector struct {
	preset string
	// match reports whether a file name marks a workdir.
	match func(file string) bool
	// topMost keeps only the highest directory (a multi-module root).
	topMost bool
}

var detectors = []detector{
	{preset: "npm", match: oneOf("package-lock.json", "npm-shrinkwrap.json", "pnpm-lock.yaml", "yarn.lock")},
	{preset: "pip", match: func(f string) bool {
		return f == "uv.lock" || f == "poetry.lock" ||
			(strings.HasPrefix(f, "requirements") && strings.HasSuffix(f, ".txt"))
	}},
	{preset: "gomod", match: oneOf("go.mod")},
	{preset: "cargo", match: oneOf("Cargo.lock"), topMost: true},
	{preset: "maven", match: oneOf("pom.xml"), topMost: true},
	{preset: "gradle", match: oneOf("build.gradle", "build.gradle.kts", "settings.gradle", "settings.gradle.kts"), topMost: true},
}

func oneOf(files ...string) func(string) bool {
	return func(f string) bool {
		for _, x := range files {
			if f == x {
				return true
			}
		}
		return false
	}
}

// Detect walks dir and returns the presets whose lockfiles it finds, each
// enabled with its workdirs (relative to dir, sorted, "." for dir itself).
func Detect(dir string) (map[string]Options, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("detect: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("detect: %s is not a directory", dir)
	}
	found := map[string]map[string]bool{}
	err = filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("detect: %w", err)
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return fmt.Errorf("detect: %s: %w", p, err)
		}
		rel = filepath.ToSlash(rel)
		if e.IsDir() {
			if rel != "." && skipDir(e.Name()) {
				return filepath.SkipDir
			}
			return nil
		}
		if e.Type().IsRegular() {
			record(found, path.Dir(rel), e.Name())
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return toOptions(found), nil
}

// skipDir reports directories Detect never enters, including names a
// workdir could not carry (leading '-', newline).
func skipDir(name string) bool {
	return skipDirs[name] || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "-") ||
		strings.ContainsAny(name, "\n\x00")
}

// record adds workdir rel to every preset whose rule matches file.
func record(found map[string]map[string]bool, rel, file string) {
	for _, d := range detectors {
		if !d.match(file) {
			continue
		}
		if found[d.preset] == nil {
			found[d.preset] = map[string]bool{}
		}
		found[d.preset][rel] = true
	}
}

// toOptions sorts each preset's workdirs and, for top-most rules, drops
// those below another workdir (modules of a multi-module build).
func toOptions(found map[string]map[string]bool) map[string]Options {
	out := map[string]Options{}
	for _, d := range detectors {
		set := found[d.preset]
		if len(set) == 0 {
			continue
		}
		dirs := slices.Sorted(maps.Keys(set))
		if d.topMost {
			dirs = topMost(dirs)
		}
		out[d.preset] = Options{Enabled: true, Workdirs: dirs}
	}
	return out
}

// topMost keeps the directories that are not below another of dirs.
func topMost(dirs []string) []string {
	var keep []string
	for _, dir := range dirs {
		if !underAny(dir, dirs) {
			keep = append(keep, dir)
		}
	}
	return keep
}

// underAny reports whether rel is below one of dirs.
func underAny(rel string, dirs []string) bool {
	for _, d := range dirs {
		if d != rel && (d == "." || strings.HasPrefix(rel, d+"/")) {
			return true
		}
	}
	return false
}
