package presets

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"text/template"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/prewarm-dev/prewarm/pkg/api/v1alpha2"
	templatesgo "github.com/prewarm-dev/prewarm/templates-go"
)

// Additions are what one preset adds to a Workspace spec.
type Additions struct {
	Setup   []v1alpha2.SetupContainer  `json:"setup"`
	Volumes []v1alpha2.WorkspaceVolume `json:"volumes"`
	Env     []corev1.EnvVar            `json:"env"`
}

// Defaults are a preset's built-in settings, read from the
// "prewarm.preset.defaults" template so Go and the charts agree.
type Defaults struct {
	Image Image `json:"image"`
	// Mode is the default cache mode.
	Mode string `json:"mode"`
	// SingleWriter presets accept cache.mode readWrite only with
	// trustedWriter: true.
	SingleWriter bool `json:"singleWriter"`
	// SecretKey is the default registrySecret key.
	SecretKey string `json:"secretKey"`
	// MountPath is the default cache.mountPath, SecretMountPath the default
	// registrySecret.mountPath.
	MountPath       string `json:"mountPath"`
	SecretMountPath string `json:"secretMountPath"`
}

// parsed holds the embedded templates; they never change at run time.
var parsed = sync.OnceValues(templatesgo.Parse)

// execute renders the define block name with data, after checking that it
// exists so a missing template gives a clear error.
func execute(t *template.Template, name string, data any) (string, error) {
	if t.Lookup(name) == nil {
		return "", fmt.Errorf("template %q is not defined in templates-go", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, data); err != nil {
		return "", fmt.Errorf("render %s: %w", name, err)
	}
	return buf.String(), nil
}

// decodeStrict decodes JSON into v, refusing unknown fields and trailing data.
func decodeStrict(data string, v any) error {
	dec := json.NewDecoder(strings.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("unexpected data after the JSON value")
	}
	return nil
}

// AllDefaults returns the defaults of every preset.
func AllDefaults() (map[string]Defaults, error) {
	t, err := parsed()
	if err != nil {
		return nil, err
	}
	out, err := execute(t, "prewarm.preset.defaults", map[string]any{})
	if err != nil {
		return nil, err
	}
	var d map[string]Defaults
	if err := decodeStrict(out, &d); err != nil {
		return nil, fmt.Errorf("decode prewarm.preset.defaults: %w", err)
	}
	return d, nil
}

// DefaultsFor returns the defaults of one preset.
func DefaultsFor(name string) (Defaults, error) {
	all, err := AllDefaults()
	if err != nil {
		return Defaults{}, err
	}
	d, ok := all[name]
	if !ok {
		return Defaults{}, unknownPreset(name)
	}
	return d, nil
}

func unknownPreset(name string) error { return UnknownError(name) }

// scriptName is the define block holding a preset's setup script.
func scriptName(name string) string { return "prewarm.script." + name }

// Script returns the shell script a preset's setup container runs. The text
// is the same for every Workspace: settings reach it only through env.
func Script(name string) (string, error) {
	if !Known(name) {
		return "", unknownPreset(name)
	}
	t, err := parsed()
	if err != nil {
		return "", err
	}
	return execute(t, scriptName(name), map[string]any{})
}

// Render validates o and renders "prewarm.preset.<name>" into Workspace
// additions.
func Render(name string, o Options) (Additions, error) {
	if errs := o.Validate(name, field.NewPath("presets", name)); len(errs) > 0 {
		return Additions{}, errors.New(v1alpha2.FormatInvalid("presets."+name, errs))
	}
	t, err := parsed()
	if err != nil {
		return Additions{}, err
	}
	data, err := toData(o)
	if err != nil {
		return Additions{}, err
	}
	out, err := execute(t, "prewarm.preset."+name, data)
	var failure *templatesgo.Failure
	if errors.As(err, &failure) {
		return Additions{}, failure // the template's own message, as the charts print it
	}
	if err != nil {
		return Additions{}, fmt.Errorf("preset %s: %w", name, err)
	}
	var a Additions
	if err := decodeStrict(out, &a); err != nil {
		return Additions{}, fmt.Errorf("preset %s: decode rendered JSON: %w", name, err)
	}
	return a, nil
}

// toData turns Options into the plain map the templates (and Helm) see.
func toData(o Options) (map[string]any, error) {
	raw, err := json.Marshal(o)
	if err != nil {
		return nil, err
	}
	data := map[string]any{}
	if err := json.Unmarshal(raw, &data); err != nil {
		return nil, err
	}
	return data, nil
}
