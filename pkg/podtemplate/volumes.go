package podtemplate

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/prewarm-dev/prewarm/pkg/api/v1alpha2"
)

// volumes returns the workspace EmptyDir followed by the user volumes
// (templates-go "prewarm.pod.volumes").
func volumes(ws *v1alpha2.Workspace) []corev1.Volume {
	var out items[corev1.Volume]
	part("prewarm.pod.volumes", map[string]any{"volumes": ws.Spec.Volumes}, &out)
	return out.Items
}

// workspaceMounts is what the built-in init containers see.
func workspaceMounts() []corev1.VolumeMount {
	return []corev1.VolumeMount{{Name: WorkspaceVolume, MountPath: WorkspaceMount}}
}

// userMounts is what setup containers and the agent see: the workspace plus
// every user volume (templates-go "prewarm.pod.mounts").
func userMounts(ws *v1alpha2.Workspace) []corev1.VolumeMount {
	var out items[corev1.VolumeMount]
	part("prewarm.pod.mounts", map[string]any{"volumes": ws.Spec.Volumes}, &out)
	return out.Items
}
