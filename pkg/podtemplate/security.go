package podtemplate

import (
	corev1 "k8s.io/api/core/v1"
)

// containerSecurityContext satisfies Pod Security "restricted" on its own
// (templates-go "prewarm.pod.containerSecurityContext").
func containerSecurityContext() *corev1.SecurityContext {
	var sc corev1.SecurityContext
	part("prewarm.pod.containerSecurityContext", map[string]any{}, &sc)
	return &sc
}

// podSecurityContext gives shared volumes the agent's group
// (templates-go "prewarm.pod.securityContext").
func podSecurityContext() *corev1.PodSecurityContext {
	var sc corev1.PodSecurityContext
	part("prewarm.pod.securityContext", map[string]any{}, &sc)
	return &sc
}
