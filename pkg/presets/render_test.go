package presets

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// renderCase is testdata/render/<case>.yaml; the expected additions are in
// <case>.golden.yaml (rewrite with -update), with each setup script
// replaced by "<script prewarm.script.NAME>".
type renderCase struct {
	Preset  string          `json:"preset"`
	Options json.RawMessage `json:"options,omitempty"`
}

func TestRender(t *testing.T) {
	eachCase(t, "render", func(t *testing.T, file string, c renderCase) {
		o := decodeCaseOptions(t, c.Options)
		got, err := Render(c.Preset, o)
		if err != nil {
			t.Fatalf("Render(%s): %v", c.Preset, err)
		}
		placeholder(t, c.Preset, &got)
		golden(t, strings.TrimSuffix(file, ".yaml")+".golden.yaml", got)
	})
}

func decodeCaseOptions(t *testing.T, raw json.RawMessage) Options {
	t.Helper()
	if len(raw) == 0 || string(raw) == "null" {
		return Options{}
	}
	o, err := DecodeOptions(raw)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// TestRenderCoversEveryPreset keeps a default and an options case per preset.
func TestRenderCoversEveryPreset(t *testing.T) {
	have := map[string]bool{}
	for _, file := range cases(t, "render") {
		var c renderCase
		readYAML(t, file, &c)
		kind := "options"
		if len(c.Options) == 0 || string(c.Options) == "null" || string(c.Options) == "{}" {
			kind = "default"
		}
		have[c.Preset+"/"+kind] = true
	}
	for _, n := range Names() {
		for _, kind := range []string{"default", "options"} {
			if !have[n+"/"+kind] {
				t.Errorf("testdata/render has no %s case for preset %s", kind, n)
			}
		}
	}
}

// TestRenderDeterministic renders the same options twice and compares bytes.
func TestRenderDeterministic(t *testing.T) {
	for _, file := range cases(t, "render") {
		var c renderCase
		readYAML(t, file, &c)
		o := decodeCaseOptions(t, c.Options)
		var out [2][]byte
		for i := range out {
			a, err := Render(c.Preset, o)
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			if out[i], err = json.Marshal(a); err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.Equal(out[0], out[1]) {
			t.Errorf("%s: two renders differ:\n%s\n%s", file, out[0], out[1])
		}
	}
}

// TestScripts checks that every preset's script define exists; presets
// cannot render without it.
func TestScripts(t *testing.T) {
	for _, n := range Names() {
		s, err := Script(n)
		if err != nil {
			t.Errorf("Script(%s): %v", n, err)
			continue
		}
		if strings.TrimSpace(s) == "" {
			t.Errorf("Script(%s) is empty", n)
		}
	}
	if _, err := Script("bundler"); err == nil || !strings.Contains(err.Error(), "npm, pip, gomod, cargo, maven, gradle") {
		t.Errorf("Script(bundler) = %v, want an error listing the presets", err)
	}
}

func TestDefaults(t *testing.T) {
	all, err := AllDefaults()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"npm": "node:22-alpine", "pip": "python:3.12-slim", "gomod": "golang:1.26-alpine",
		"cargo": "rust:1.95-slim", "maven": "maven:3.9-eclipse-temurin-21", "gradle": "gradle:8-jdk21",
		"artifacts": "curlimages/curl:8.11.1",
	}
	for _, n := range Names() {
		d, ok := all[n]
		if !ok {
			t.Errorf("no defaults for %s", n)
			continue
		}
		if got := d.Image.Repository + ":" + d.Image.Tag; got != want[n] {
			t.Errorf("%s default image = %s, want %s", n, got, want[n])
		}
		if d.SingleWriter != (d.Mode == "readOnly") {
			t.Errorf("%s: singleWriter=%v with default mode %s", n, d.SingleWriter, d.Mode)
		}
	}
	if len(all) != len(Names()) {
		t.Errorf("defaults for %d presets, want %d", len(all), len(Names()))
	}
}
