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
	// The rule decides by name only; values stay here (as refs), so the
	// strings reach the container exactly as given.
	all := append(append([]corev1.EnvVar{}, base...), extra...)
	refs := func(from int, env []corev1.EnvVar) []envRef {
		out := make([]envRef, len(env))
		for i, e := range env {
			out[i] = envRef{Name: e.Name, Ref: from + i}
		}
		return out
	}
	var merged items[envRef]
	part("prewarm.pod.mergeEnv", map[string]any{"a": refs(0, base), "b": refs(len(base), extra)}, &merged)
	out := make([]corev1.EnvVar, 0, len(merged.Items))
	for _, r := range merged.Items {
		out = append(out, *all[r.Ref].DeepCopy())
	}
	return out
}

// envRef stands for all[Ref] in the merge.
type envRef struct {
	Name string `json:"name"`
	Ref  int    `json:"ref"`
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
