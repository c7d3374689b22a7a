package chartrender

import (
	"fmt"
	"strings"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
)

// DefaultKubeVersion is what client-only renders assume; the charts require
// at least 1.30 (ValidatingAdmissionPolicy v1).
const DefaultKubeVersion = "v1.37.2"

// Options are the `helm template` inputs.
type Options struct {
	ReleaseName string
	Namespace   string
	KubeVersion string
	Values      map[string]any
}

// Render returns the manifest `helm template` prints for c, without hooks'
// and notes' noise: a stable, sorted multi-document YAML.
func Render(c *chart.Chart, o Options) (string, error) {
	inst := action.NewInstall(&action.Configuration{})
	inst.ClientOnly, inst.DryRun, inst.Replace = true, true, true
	inst.ReleaseName = orDefault(o.ReleaseName, "prewarm")
	inst.Namespace = orDefault(o.Namespace, "default")
	kv, err := chartutil.ParseKubeVersion(orDefault(o.KubeVersion, DefaultKubeVersion))
	if err != nil {
		return "", fmt.Errorf("kube version: %w", err)
	}
	inst.KubeVersion = kv
	vals := o.Values
	if vals == nil {
		vals = map[string]any{}
	}
	rel, err := inst.Run(c, vals)
	if err != nil {
		return "", cleanHelmError(err)
	}
	return strings.TrimPrefix(rel.Manifest, "\n"), nil
}

// cleanHelmError keeps Helm's message (it names the key) but drops the
// engine's template-position prefix noise where it only repeats itself.
func cleanHelmError(err error) error {
	return fmt.Errorf("%s", strings.TrimSpace(err.Error()))
}

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}
