package podtemplate

import (
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/prewarm-dev/prewarm/pkg/api/v1alpha2"
)

// WorkspaceLabel on a Kelos Task (podOverrides.labels) names the
// Workspace whose prewarm setup its Job gets.
const WorkspaceLabel = "prewarm.dev/workspace"

// MaxKelosExtraInitContainers is released Kelos' limit on
// podOverrides.extraInitContainers.
const MaxKelosExtraInitContainers = 8

// PodOverrides is the podOverrides block of a released Kelos Task or
// TaskSpawner: the same setup and caches for clusters whose Workspace CRD
// has no spec.setup, spec.volumes or spec.env.
type PodOverrides struct {
	// Labels carry WorkspaceLabel, so the admission integration (matching
	// on it) never injects a second time into such a Task's Job.
	Labels              map[string]string    `json:"labels,omitempty"`
	ExtraInitContainers []corev1.Container   `json:"extraInitContainers,omitempty"`
	Volumes             []corev1.Volume      `json:"volumes,omitempty"`
	VolumeMounts        []corev1.VolumeMount `json:"volumeMounts,omitempty"`
	Env                 []corev1.EnvVar      `json:"env,omitempty"`
}

// KelosPodOverrides splits ws into what released Kelos understands: a
// plain Workspace (repo, ref, secretRef, files) and podOverrides carrying
// the setup containers, volumes and env. Kelos runs extraInitContainers
// after its own init containers and mounts volumeMounts in the agent only.
func KelosPodOverrides(ws *v1alpha2.Workspace, o Options) (_ *v1alpha2.Workspace, _ PodOverrides, err error) {
	defer recoverPart(&err)
	if errs := ws.ValidateWith(v1alpha2.ValidationOptions{AllowHostPath: o.AllowHostPath}); len(errs) > 0 {
		return nil, PodOverrides{}, &InputError{Msg: v1alpha2.FormatInvalid("workspace "+ws.Name, errs)}
	}
	if n := len(ws.Spec.Setup); n > MaxKelosExtraInitContainers {
		return nil, PodOverrides{}, inputErrorf(
			"workspace %s needs %d setup containers (%s), but released Kelos accepts at most %d podOverrides.extraInitContainers; disable presets or merge extraSetup steps",
			ws.Name, n, setupNames(ws), MaxKelosExtraInitContainers)
	}
	plain := ws.DeepCopy()
	plain.Spec.Setup, plain.Spec.Volumes, plain.Spec.Env = nil, nil, nil
	out := PodOverrides{
		Labels:              map[string]string{WorkspaceLabel: ws.Name},
		ExtraInitContainers: setupContainers(ws),
		Volumes:             volumes(ws)[1:], // Kelos adds the workspace volume itself
		VolumeMounts:        userMounts(ws)[1:],
		Env:                 mergeEnv(nil, ws.Spec.Env),
	}
	return plain, out, nil
}

func setupNames(ws *v1alpha2.Workspace) string {
	names := make([]string, 0, len(ws.Spec.Setup))
	for _, s := range ws.Spec.Setup {
		names = append(names, s.Name)
	}
	return strings.Join(names, ", ")
}
