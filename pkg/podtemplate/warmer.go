package podtemplate

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/prewarm-dev/prewarm/pkg/api/v1alpha2"
)

// WarmerPodSpec is the pod of the prewarm-workspace chart's warmer job for
// ws, whose setup, volumes and env were rendered with the presets in
// warmer mode (the single trusted writer): git-clone, every setup
// container, then a last step that reports the end. It is templates-go's
// "prewarm.pod.warmer", which the chart renders too; the chart adds only
// what its values set (image pull policy, scheduling, service account).
func WarmerPodSpec(ws *v1alpha2.Workspace, o Options) (spec corev1.PodSpec, err error) {
	defer recoverPart(&err)
	o = o.withDefaults()
	part("prewarm.pod.warmer", map[string]any{"spec": ws.Spec, "gitImage": o.GitImage}, &spec)
	return spec, nil
}
