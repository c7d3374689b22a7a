package chartrender

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"testing"

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
