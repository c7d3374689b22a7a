// Package restricted says what keeps a container from Pod Security
// "restricted" on its own: the check the fuzzers of pkg/api/v1alpha2,
// pkg/podtemplate and pkg/presets run on every rendered Task pod.
//
// A test helper: no production code calls it (pkg/podtemplate/security.go
// builds the contexts; tests/live lets the real kube-apiserver judge them).
package restricted

import corev1 "k8s.io/api/core/v1"

// Problem says what keeps sc from Pod Security "restricted", or "".
func Problem(sc *corev1.SecurityContext) string {
	switch {
	case sc == nil:
		return "no securityContext"
	case sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot:
		return "runAsNonRoot is not true"
	case sc.RunAsUser == nil || *sc.RunAsUser == 0:
		return "runAsUser is unset or 0"
	case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
		return "allowPrivilegeEscalation is not false"
	case sc.Privileged != nil && *sc.Privileged:
		return "privileged"
	case sc.Capabilities == nil || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" || len(sc.Capabilities.Add) > 0:
		return "capabilities are not exactly drop [ALL]"
	case sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault:
		return "seccompProfile is not RuntimeDefault"
	}
	return ""
}

// Problems is Problem for every init and app container of pod, each as
// "container NAME: PROBLEM"; none when all are restricted.
func Problems(pod corev1.PodSpec) []string {
	var out []string
	for _, c := range append(append([]corev1.Container{}, pod.InitContainers...), pod.Containers...) {
		if msg := Problem(c.SecurityContext); msg != "" {
			out = append(out, "container "+c.Name+": "+msg)
		}
	}
	return out
}
