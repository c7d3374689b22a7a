// Package chartrender renders the embedded prewarm charts with Helm's own
// engine, the way `helm template` does: schema validation, required/fail
// messages and manifest ordering included.
package chartrender

import (
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/ignore"

	"github.com/prewarm-dev/prewarm/charts"
)

// Names lists the embedded charts (charts.Names, their one list).
func Names() []string { return slices.Clone(charts.Names) }

// Load returns the named embedded chart with its .helmignore applied.
func Load(name string) (*chart.Chart, error) {
	if !slices.Contains(charts.Names, name) {
		return nil, fmt.Errorf("unknown chart %q (available: %s)", name, strings.Join(charts.Names, ", "))
	}
	return LoadFS(charts.FS, name)
}

// LoadFS loads a chart directory from any fs.FS.
func LoadFS(fsys fs.FS, dir string) (*chart.Chart, error) {
	rules, err := helmIgnore(fsys, dir)
	if err != nil {
		return nil, err
	}
	var files []*loader.BufferedFile
	err = fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel := strings.TrimPrefix(p, dir+"/")
		info, err := d.Info()
		if err != nil {
			return err
		}
		if rules.Ignore(rel, info) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		data, err := fs.ReadFile(fsys, p)
		files = append(files, &loader.BufferedFile{Name: rel, Data: data})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read chart %s: %w", dir, err)
	}
	return loader.LoadFiles(files)
}

func helmIgnore(fsys fs.FS, dir string) (*ignore.Rules, error) {
	data, err := fs.ReadFile(fsys, path.Join(dir, ".helmignore"))
	if err != nil {
		return ignore.Empty(), nil
	}
	rules, err := ignore.Parse(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s/.helmignore: %w", dir, err)
	}
	rules.AddDefaults()
	return rules, nil
}
