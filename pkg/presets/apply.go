package presets

import (
	"errors"

	corev1 "k8s.io/api/core/v1"

	"github.com/prewarm-dev/prewarm/pkg/api/v1alpha2"
	templatesgo "github.com/prewarm-dev/prewarm/templates-go"
)

// Apply renders every enabled preset, in Names() order, and merges the
// results into ws.Spec with templates-go's "prewarm.merge", the merge the
// prewarm-workspace chart runs too: env and volumes already present with
// the same content are kept once; a clash is an error naming both owners
// ("the Workspace spec", "presets.<name>").
func Apply(ws *v1alpha2.Workspace, presets map[string]Options) error {
	if err := checkNames(presets); err != nil {
		return err
	}
	parts := []mergePart{{Owner: specOwner, Setup: ws.Spec.Setup, Volumes: ws.Spec.Volumes, Env: ws.Spec.Env}}
	for _, name := range names {
		o, ok := presets[name]
		if !ok || !o.Enabled {
			continue
		}
		a, err := Render(name, o)
		if err != nil {
			return err
		}
		parts = append(parts, mergePart{Owner: Owner(name), Preset: true, Setup: a.Setup, Volumes: a.Volumes, Env: a.Env})
	}
	var merged Additions
	if err := templatesgo.ExecuteJSON("prewarm.merge", map[string]any{"parts": parts}, &merged); err != nil {
		return errors.New(templatesgo.Message(err))
	}
	ws.Spec.Setup, ws.Spec.Volumes, ws.Spec.Env = nil, nil, nil
	if len(merged.Setup) > 0 {
		ws.Spec.Setup = merged.Setup
	}
	if len(merged.Volumes) > 0 {
		ws.Spec.Volumes = merged.Volumes
	}
	if len(merged.Env) > 0 {
		ws.Spec.Env = merged.Env
	}
	return nil
}

// specOwner names what the Workspace spec already holds in merge errors.
const specOwner = "the Workspace spec"

// Owner names preset name in merge errors: its values key, presets.<name>.
func Owner(name string) string { return "presets." + name }

// mergePart is one input of "prewarm.merge".
type mergePart struct {
	Owner   string                     `json:"owner"`
	Preset  bool                       `json:"preset,omitempty"`
	Setup   []v1alpha2.SetupContainer  `json:"setup,omitempty"`
	Volumes []v1alpha2.WorkspaceVolume `json:"volumes,omitempty"`
	Env     []corev1.EnvVar            `json:"env,omitempty"`
}

func checkNames(presets map[string]Options) error { return checkKnown(presets) }
