package podtemplate

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/prewarm-dev/prewarm/pkg/api/v1alpha2"
)

// volumes returns the workspace EmptyDir followed by the user volumes.
func volumes(ws *v1alpha2.Workspace) []corev1.Volume {
	out := []corev1.Volume{{
		Name:         WorkspaceVolume,
		VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}},
	}}
	for _, v := range ws.Spec.Volumes {
		out = append(out, corev1.Volume{Name: v.Name, VolumeSource: *v.Source.DeepCopy()})
	}
	return out
}

// workspaceMounts is what the built-in init containers see.
func workspaceMounts() []corev1.VolumeMount {
	return []corev1.VolumeMount{{Name: WorkspaceVolume, MountPath: WorkspaceMount}}
}

// userMounts is what setup containers and the agent see: the workspace plus
// every user volume.
func userMounts(ws *v1alpha2.Workspace) []corev1.VolumeMount {
	out := workspaceMounts()
	for _, v := range ws.Spec.Volumes {
		out = append(out, corev1.VolumeMount{
			Name:      v.Name,
			MountPath: v.MountPath,
			SubPath:   v.SubPath,
			ReadOnly:  v.ReadOnly,
		})
	}
	return out
}
