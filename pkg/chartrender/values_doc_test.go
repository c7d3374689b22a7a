package chartrender

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	templatesgo "github.com/prewarm-dev/prewarm/templates-go"
)

// TestValuesDocumentPresetImages: values.yaml lists every preset's default
// setup image (issue 12), and the list says what the templates use: the
// defaults live once, in templates-go's prewarm.preset.defaults.
func TestValuesDocumentPresetImages(t *testing.T) {
	values, err := os.ReadFile(filepath.Join("..", "..", "charts", "prewarm-workspace", "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := templatesgo.Parse()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := tpl.ExecuteTemplate(&out, "prewarm.preset.defaults", map[string]any{}); err != nil {
		t.Fatal(err)
	}
	var defaults map[string]struct {
		Image struct{ Repository, Tag string } `json:"image"`
	}
	if err := json.Unmarshal(out.Bytes(), &defaults); err != nil {
		t.Fatal(err)
	}
	if len(defaults) == 0 {
		t.Fatal("prewarm.preset.defaults is empty")
	}
	for eco, d := range defaults {
		want := d.Image.Repository + ":" + d.Image.Tag
		re := regexp.MustCompile(`(?m)^  ` + eco + `:\n(?:    .*\n)*?    # @default -- ` + "`" + `([^` + "`" + `]+)` + "`" + `\n    image: \{\}\n`)
		m := re.FindSubmatch(values)
		if m == nil {
			t.Errorf("values.yaml: presets.%s.image is not listed with its default (# @default -- `%s`)", eco, want)
			continue
		}
		if got := string(m[1]); got != want {
			t.Errorf("values.yaml documents presets.%s.image as %s, the templates use %s", eco, got, want)
		}
	}
}

// TestValuesDocumentCacheSizes: each chart's values.yaml documents the size
// a new claim gets (`size: ""` with "# @default -- `""` (20Gi for a new
// claim)"), and the text says what templates-go's one size table holds.
func TestValuesDocumentCacheSizes(t *testing.T) {
	var sizes map[string]string
	if err := templatesgo.ExecuteJSON("prewarm.cache.sizes", map[string]any{}, &sizes); err != nil {
		t.Fatal(err)
	}
	for _, chart := range []string{"prewarm-workspace", "prewarm-caches"} {
		values, err := os.ReadFile(filepath.Join("..", "..", "charts", chart, "values.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		for eco, want := range sizes {
			re := regexp.MustCompile(`(?m)^  ` + eco + `:\n(?:    .*\n)*?    # @default -- ` + "`\"\"`" + ` \((\S+) for a new claim\)\n    size: ""\n`)
			m := re.FindSubmatch(values)
			if m == nil {
				t.Errorf("%s values.yaml: caches.%s.size is not \"\" with its documented default (%s for a new claim)", chart, eco, want)
				continue
			}
			if got := string(m[1]); got != want {
				t.Errorf("%s values.yaml documents caches.%s.size as %s, the table holds %s", chart, eco, got, want)
			}
		}
	}
}

// TestValuesDocumentSecurityContexts: the security-context values default
// to {} and document the contexts they are laid over; the documented text
// equals templates-go's prewarm.pod.* blocks.
func TestValuesDocumentSecurityContexts(t *testing.T) {
	for _, c := range []struct {
		chart, key, indent, block, omit string
		nth                             int // which match in the file
	}{
		{"prewarm-workspace", "podSecurityContext", "", "prewarm.pod.securityContext", "", 0},
		{"prewarm-workspace", "securityContext", "", "prewarm.pod.containerSecurityContext", "", 0},
		{"prewarm-caches", "podSecurityContext", "  ", "prewarm.pod.securityContext", "", 0}, // pruner
		// metrics.podSecurityContext: the exporter only reads the caches.
		{"prewarm-caches", "podSecurityContext", "  ", "prewarm.pod.securityContext", "fsGroupChangePolicy", 1},
	} {
		values, err := os.ReadFile(filepath.Join("..", "..", "charts", c.chart, "values.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		var want map[string]any
		if err := templatesgo.ExecuteJSON(c.block, map[string]any{}, &want); err != nil {
			t.Fatal(err)
		}
		delete(want, c.omit)
		re := regexp.MustCompile(`(?m)^` + c.indent + "# @default -- `([^`]+)`\n" + c.indent + c.key + `: \{\}\n`)
		all := re.FindAllSubmatch(values, -1)
		if len(all) <= c.nth {
			t.Errorf("%s values.yaml: %s (match %d) is not {} with its documented default", c.chart, c.key, c.nth)
			continue
		}
		m := all[c.nth]
		var got map[string]any
		if err := yaml.Unmarshal(m[1], &got); err != nil {
			t.Fatalf("%s %s @default: %v", c.chart, c.key, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s values.yaml documents %s unlike %s (-template +doc):\n%s", c.chart, c.key, c.block, diff)
		}
	}
}
