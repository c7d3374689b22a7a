package podtemplate

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

// containerSecurityContext satisfies Pod Security "restricted" on its own,
// so every container passes whatever the pod-level context says.
func containerSecurityContext() *corev1.SecurityContext {
	return &corev1.SecurityContext{
		RunAsUser:                ptr.To(AgentUID),
		RunAsGroup:               ptr.To(AgentUID),
		RunAsNonRoot:             ptr.To(true),
		AllowPrivilegeEscalation: ptr.To(false),
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
}

// podSecurityContext gives shared volumes the agent's group. OnRootMismatch
// skips the recursive chown when the volume root already matches: on a big
// cache PVC the chown would otherwise cost minutes at every start.
func podSecurityContext() *corev1.PodSecurityContext {
	return &corev1.PodSecurityContext{
		RunAsUser:           ptr.To(AgentUID),
		RunAsGroup:          ptr.To(AgentUID),
		RunAsNonRoot:        ptr.To(true),
		FSGroup:             ptr.To(AgentUID),
		FSGroupChangePolicy: ptr.To(corev1.FSGroupChangeOnRootMismatch),
		SeccompProfile:      &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
}
