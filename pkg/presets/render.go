package presets

import (
	"errors"
	"fmt"

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
	// Snapshots, when set, is what an unset snapshots option means (else
	// "true"): "auto" for gomod, whose setup picks the snapshot shape on a
	// network file system and the caches on the volume on local disk.
	Snapshots string `json:"snapshots,omitempty"`
	// MountPath is the default cache.mountPath, SecretMountPath the default
	// registrySecret.mountPath.
	MountPath       string `json:"mountPath"`
	SecretMountPath string `json:"secretMountPath"`
}

// AllDefaults returns the defaults of every preset.
func AllDefaults() (map[string]Defaults, error) {
	var d map[string]Defaults
	if err := templatesgo.ExecuteJSON("prewarm.preset.defaults", map[string]any{}, &d); err != nil {
		return nil, err
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
		return Defaults{}, UnknownError(name)
	}
	return d, nil
}

// scriptName is the define block holding a preset's setup script.
func scriptName(name string) string { return "prewarm.script." + name }

// Script returns the shell script a preset's setup container runs. The text
// is the same for every Workspace: settings reach it only through env.
func Script(name string) (string, error) {
	if !Known(name) {
		return "", UnknownError(name)
	}
	return templatesgo.Execute(scriptName(name), map[string]any{})
}

// Render validates o and renders "prewarm.preset.<name>" into Workspace
// additions.
func Render(name string, o Options) (Additions, error) {
	if errs := o.Validate(name, field.NewPath("presets", name)); len(errs) > 0 {
		return Additions{}, errors.New(v1alpha2.FormatInvalid("presets."+name, errs))
	}
	// o reaches the template as the plain map Helm would give it
	var a Additions
	err := templatesgo.ExecuteJSON("prewarm.preset."+name, o, &a)
	var failure *templatesgo.Failure
	if errors.As(err, &failure) {
		return Additions{}, failure // the template's own message, as the charts print it
	}
	if err != nil {
		return Additions{}, fmt.Errorf("preset %s: %w", name, err)
	}
	return a, nil
}
