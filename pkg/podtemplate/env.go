package podtemplate

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/prewarm-dev/prewarm/pkg/api/v1alpha2"
)

// mergeEnv returns base followed by extra; a later entry with the same name
// replaces the earlier one in place, as a container spec would expect.
func mergeEnv(base, extra []corev1.EnvVar) []corev1.EnvVar {
	if len(base) == 0 && len(extra) == 0 {
		return nil
	}
	out := make([]corev1.EnvVar, 0, len(base)+len(extra))
	index := map[string]int{}
	for _, e := range append(append([]corev1.EnvVar{}, base...), extra...) {
		if i, ok := index[e.Name]; ok {
			out[i] = *e.DeepCopy()
			continue
		}
		index[e.Name] = len(out)
		out = append(out, *e.DeepCopy())
	}
	return out
}

// gitCredentialEnv exposes the Workspace's token to git, from the Secret.
func gitCredentialEnv(ws *v1alpha2.Workspace) []corev1.EnvVar {
	if ws.Spec.SecretRef == nil {
		return nil
	}
	return []corev1.EnvVar{{
		Name: "GITHUB_TOKEN",
		ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: ws.Spec.SecretRef.Name},
			Key:                  "GITHUB_TOKEN",
		}},
	}}
}
