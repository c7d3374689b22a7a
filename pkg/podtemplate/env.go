package podtemplate

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/prewarm-dev/prewarm/pkg/api/v1alpha2"
)

// mergeEnv returns base followed by extra; a later entry with the same name
// replaces the earlier one in place, as a container spec would expect
// (templates-go "prewarm.pod.mergeEnv").
func mergeEnv(base, extra []corev1.EnvVar) []corev1.EnvVar {
	if len(base) == 0 && len(extra) == 0 {
		return nil
	}
	var out items[corev1.EnvVar]
	part("prewarm.pod.mergeEnv", map[string]any{"a": base, "b": extra}, &out)
	return out.Items
}

// gitCredentialEnv exposes the Workspace's token to git, from the Secret
// (templates-go "prewarm.pod.gitToken").
func gitCredentialEnv(ws *v1alpha2.Workspace) []corev1.EnvVar {
	if ws.Spec.SecretRef == nil {
		return nil
	}
	var e corev1.EnvVar
	part("prewarm.pod.gitToken", ws.Spec.SecretRef.Name, &e)
	return []corev1.EnvVar{e}
}
