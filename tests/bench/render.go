package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// renderCost times the CLI: `prewarm render` of a values file with all six
// presets, `prewarm pod` of the Workspace it renders, and `prewarm --help`
// (process start alone), each -render-iter times, interleaved. The binary
// is built from the tree first (into the scratch directory, so a concurrent
// bin/prewarm is left alone); when the tree does not build, bin/prewarm is
// measured instead and the report says so.
func (b *bench) renderCost() error {
	bin := filepath.Join(b.cfg.work, "prewarm")
	env := append(baseEnv(""), "HOME="+filepath.Join(b.cfg.work, "render-home"))
	if gc := os.Getenv("GOCACHE"); gc != "" {
		env = append(env, "GOCACHE="+gc)
	} else if home, err := os.UserHomeDir(); err == nil {
		env = append(env, "GOCACHE="+filepath.Join(home, ".cache", "go-build"))
	}
	if gp := os.Getenv("GOPATH"); gp != "" {
		env = append(env, "GOPATH="+gp)
	} else if home, err := os.UserHomeDir(); err == nil {
		env = append(env, "GOPATH="+filepath.Join(home, "go"))
	}
	var note []string
	p, err := b.exec(b.cfg.root, env, 10*time.Minute, "go", "build", "-o", bin, "./cmd/prewarm")
	switch {
	case err != nil:
		return err
	case p.Code != 0:
		fallback := filepath.Join(b.cfg.root, "bin", "prewarm")
		msg := strings.TrimSpace(firstLine(p.Stderr))
		if _, err := os.Stat(fallback); err != nil {
			return fmt.Errorf("go build ./cmd/prewarm failed (%s) and there is no bin/prewarm", msg)
		}
		bin = fallback
		note = append(note, fmt.Sprintf("the tree did not build (`go build ./cmd/prewarm`: %s); measured the existing bin/prewarm instead", msg))
	default:
		note = append(note, "binary built from the tree with `go build -o … ./cmd/prewarm`")
	}
	help, _ := b.exec(b.cfg.root, env, time.Minute, bin, "--help")
	has := func(cmd string) bool { return strings.Contains(help.Stdout, "\n  "+cmd+" ") }

	td := filepath.Join(b.cfg.root, "tests", "bench", "testdata")
	values, task := filepath.Join(td, "all-presets-values.yaml"), filepath.Join(td, "task.yaml")
	dir, err := b.workdir("render")
	if err != nil {
		return err
	}
	defer removeAll(dir)
	type cmd struct {
		name, desc string
		argv       []string
	}
	var cmds []cmd
	cmds = append(cmds, cmd{"startup", "prewarm --help (process start, no rendering)", []string{bin, "--help"}})
	workspace := filepath.Join(b.cfg.root, "examples", "workspace-setup", "workspace.yaml")
	wsDesc := "examples/workspace-setup/workspace.yaml"
	if has("render") {
		cmds = append(cmds, cmd{"render", "prewarm render -f all-presets-values.yaml (six presets, prewarm-workspace chart)", []string{bin, "render", "-f", values}})
		// The extension's Workspace carries the six setup containers that
		// `prewarm pod` renders into the Task pod.
		r, err := b.exec(dir, env, time.Minute, bin, "render", "--target", "extension", "-f", values)
		if err == nil && r.Code == 0 {
			// prewarm pod takes one Workspace: cut it out of the release.
			if doc := workspaceDoc(r.Stdout); doc != "" {
				rendered := filepath.Join(dir, "workspace.yaml")
				if err := os.WriteFile(rendered, []byte(doc), 0o644); err != nil {
					return err
				}
				workspace, wsDesc = rendered, "the six-preset Workspace that render printed"
			} else {
				note = append(note, "no Workspace document in the render output; `pod` was timed on "+wsDesc)
			}
			cmds = append(cmds, cmd{"render --pod", "prewarm render -f all-presets-values.yaml --pod --task task.yaml", []string{bin, "render", "-f", values, "--pod", "--task", task}})
		} else {
			note = append(note, "`prewarm render -f all-presets-values.yaml` failed: "+firstLine(strings.TrimSpace(r.Stderr+" "+fmt.Sprint(err))))
			cmds = cmds[:1]
		}
	} else {
		note = append(note, "this binary has no `render` command; only `pod` was measured")
	}
	// The Task must name the Workspace it runs on.
	if data, err := os.ReadFile(workspace); err == nil {
		if name := metadataName(string(data)); name != "" {
			t, err := os.ReadFile(task)
			if err != nil {
				return err
			}
			task = filepath.Join(dir, "task.yaml")
			fixed := strings.Replace(string(t), "name: prewarm-prewarm-workspace", "name: "+name, 1)
			if err := os.WriteFile(task, []byte(fixed), 0o644); err != nil {
				return err
			}
			for i := range cmds {
				for j, a := range cmds[i].argv {
					if strings.HasSuffix(a, "task.yaml") {
						cmds[i].argv[j] = task
					}
				}
			}
		}
	}
	if has("pod") {
		cmds = append(cmds, cmd{"pod", "prewarm pod --workspace <" + wsDesc + "> --task task.yaml", []string{bin, "pod", "--workspace", workspace, "--task", task}})
	}
	if has("setup-script") {
		cmds = append(cmds, cmd{"setup-script", "prewarm setup-script --preset npm", []string{bin, "setup-script", "--preset", "npm"}})
	}
	// Check each once; drop what fails.
	var ok []cmd
	for _, c := range cmds {
		r, err := b.exec(dir, env, time.Minute, c.argv...)
		if err != nil || r.Code != 0 {
			note = append(note, fmt.Sprintf("`%s` failed and was not timed: %s", c.name, firstLine(strings.TrimSpace(r.Stderr))))
			continue
		}
		ok = append(ok, c)
	}
	series := make([]Series, len(ok))
	var steps []step
	for i, c := range ok {
		series[i] = Series{Name: c.name, Desc: c.desc, Unit: "ms"}
		c := c
		steps = append(steps, step{c.name, func(int) (float64, error) {
			r, err := b.mustExec(dir, env, time.Minute, c.argv...)
			return r.Elapsed.Seconds() * 1000, err
		}})
	}
	err = b.interleaveUnit("render", "ms", b.cfg.renderIter, steps, func(name string, ms, cpu float64) {
		for i := range series {
			if series[i].Name == name {
				series[i].Values = append(series[i].Values, ms)
				series[i].CPU = append(series[i].CPU, cpu*1000)
			}
		}
	})
	b.res.Render = series
	b.res.RenderNote = strings.Join(note, "; ")
	return err
}

// workspaceDoc returns the kind: Workspace document of a multi-document
// YAML stream ("" if none).
func workspaceDoc(stream string) string {
	for _, doc := range strings.Split("\n"+stream, "\n---") {
		for _, l := range strings.Split(doc, "\n") {
			if strings.TrimSpace(l) == "kind: Workspace" && !strings.HasPrefix(l, " ") {
				return strings.TrimLeft(doc, "\n") + "\n"
			}
		}
	}
	return ""
}

// metadataName is metadata.name of a single YAML document ("" if not found).
func metadataName(doc string) string {
	in := false
	for _, l := range strings.Split(doc, "\n") {
		switch {
		case l == "metadata:":
			in = true
		case in && strings.HasPrefix(l, "  name:"):
			return strings.Trim(strings.TrimSpace(strings.TrimPrefix(l, "  name:")), `"'`)
		case in && l != "" && !strings.HasPrefix(l, " "):
			in = false
		}
	}
	return ""
}
