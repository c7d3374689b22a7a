package presets

import (
	"encoding/json"
	"regexp"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/prewarm-dev/prewarm/internal/yamlcase"
)

// validateCase is one entry of testdata/validate/*.yaml. Options are
// decoded with DecodeOptions (strict); decodeError is a regexp for a
// decode failure, errors are regexps for Validate's errors, in order.
type validateCase struct {
	Name        string          `json:"name"`
	Preset      string          `json:"preset"`
	Options     json.RawMessage `json:"options,omitempty"`
	DecodeError string          `json:"decodeError,omitempty"`
	Errors      []string        `json:"errors,omitempty"`
}

func TestValidate(t *testing.T) {
	for _, file := range cases(t, "validate") {
		var doc struct {
			Cases []validateCase `json:"cases"`
		}
		readYAML(t, file, &doc)
		for _, c := range doc.Cases {
			t.Run(caseName(file)+"/"+c.Name, func(t *testing.T) {
				runValidateCase(t, c)
			})
		}
	}
}

func runValidateCase(t *testing.T, c validateCase) {
	var o Options
	if len(c.Options) > 0 && string(c.Options) != "null" {
		var err error
		o, err = DecodeOptions(c.Options)
		if yamlcase.WantError(t, "DecodeOptions", err, c.DecodeError) {
			return
		}
	}
	errs := o.Validate(c.Preset, field.NewPath("presets", c.Preset))
	var got []string
	for _, e := range errs {
		got = append(got, e.Error())
	}
	matchErrors(t, got, c.Errors)
	_, err := Render(c.Preset, o)
	switch {
	case len(c.Errors) == 0 && err != nil:
		t.Errorf("valid options do not render: %v", err)
	case len(c.Errors) > 0 && err == nil:
		t.Errorf("Render accepted invalid options")
	}
}

func TestDecodeMap(t *testing.T) {
	m, err := DecodeMap([]byte("npm: {enabled: true}\ngomod: {workdirs: [tools]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !m["npm"].Enabled || m["gomod"].Workdirs[0] != "tools" {
		t.Errorf("DecodeMap = %+v", m)
	}
	for _, tc := range []struct{ in, want string }{
		{"rubygems: {enabled: true}\nnpm: {}\nbower: {}", `unknown preset "bower", "rubygems" \(known: npm, pip, gomod, cargo, maven, gradle, artifacts\)`},
		{"npm: {enabeld: true}", `unknown field "enabeld"`},
		{"npm: {}\nnpm: {}", `duplicate|already set`},
	} {
		if _, err := DecodeMap([]byte(tc.in)); err == nil || !regexp.MustCompile(tc.want).MatchString(err.Error()) {
			t.Errorf("DecodeMap(%q) error = %v, want match for %q", tc.in, err, tc.want)
		}
	}
}

func TestValidateMap(t *testing.T) {
	errs := ValidateMap(map[string]Options{
		"pip": {Workdirs: []string{"/abs"}},
		"npm": {Cache: &Cache{Mode: "rw"}},
		"ant": {},
	}, field.NewPath("presets"))
	var got []string
	for _, e := range errs {
		got = append(got, e.Error())
	}
	matchErrors(t, got, []string{
		`^presets\.ant: Unsupported value: "ant": supported values: "npm", "pip", "gomod", "cargo", "maven", "gradle", "artifacts"$`,
		`^presets\.npm\.cache\.mode: Unsupported value: "rw"`,
		`^presets\.pip\.workdirs\[0\]: Invalid value: "/abs": must be relative`,
	})
}
