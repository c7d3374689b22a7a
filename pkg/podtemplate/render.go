package podtemplate

import (
	"fmt"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/prewarm-dev/prewarm/pkg/api/v1alpha2"
)

// Render returns the Job for task on ws. It validates ws first, so an
// invalid Workspace yields an error listing every field path, never a pod.
func Render(ws *v1alpha2.Workspace, task *v1alpha2.Task, o Options) (job *batchv1.Job, err error) {
	defer recoverPart(&err)
	if err := checkInputs(ws, task, o); err != nil {
		return nil, err
	}
	if _, err := builtinScripts(); err != nil {
		return nil, fmt.Errorf("embedded scripts: %w", err)
	}
	o = o.withDefaults()
	return &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: jobMeta(ws, task),
		Spec: batchv1.JobSpec{
			BackoffLimit: ptr.To[int32](0),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels(ws, task)},
				Spec:       podSpec(ws, task, o),
			},
		},
	}, nil
}

func checkInputs(ws *v1alpha2.Workspace, task *v1alpha2.Task, o Options) error {
	switch {
	case ws == nil:
		return inputErrorf("workspace is required")
	case task == nil:
		return inputErrorf("task is required")
	case task.Name == "":
		return inputErrorf("task metadata.name is required")
	case task.Spec.WorkspaceRef != nil && task.Spec.WorkspaceRef.Name != ws.Name:
		return inputErrorf("task %s refers to workspace %q, not %q", task.Name, task.Spec.WorkspaceRef.Name, ws.Name)
	}
	if errs := ws.ValidateWith(v1alpha2.ValidationOptions{AllowHostPath: o.AllowHostPath}); len(errs) > 0 {
		return &InputError{Msg: v1alpha2.FormatInvalid("workspace "+ws.Name, errs)}
	}
	return nil
}

func jobMeta(ws *v1alpha2.Workspace, task *v1alpha2.Task) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: task.Name, Namespace: task.Namespace, Labels: labels(ws, task)}
}

func labels(ws *v1alpha2.Workspace, task *v1alpha2.Task) map[string]string {
	return map[string]string{
		"app.kubernetes.io/name":       "kelos-task",
		"app.kubernetes.io/managed-by": "kelos",
		"kelos.dev/task":               task.Name,
		"kelos.dev/workspace":          ws.Name,
	}
}

// podSpec merges the parts in the fixed init order.
func podSpec(ws *v1alpha2.Workspace, task *v1alpha2.Task, o Options) corev1.PodSpec {
	inits := []corev1.Container{gitCloneContainer(ws, o)}
	for _, c := range []*corev1.Container{branchContainer(ws, task, o), filesContainer(ws, o)} {
		if c != nil {
			inits = append(inits, *c)
		}
	}
	inits = append(inits, setupContainers(ws)...)
	spec := corev1.PodSpec{
		RestartPolicy:                corev1.RestartPolicyNever,
		AutomountServiceAccountToken: ptr.To(false),
		SecurityContext:              podSecurityContext(),
		InitContainers:               inits,
		Containers:                   []corev1.Container{agentContainer(ws, task, o)},
		Volumes:                      volumes(ws),
	}
	if o.ActiveDeadlineSeconds > 0 {
		spec.ActiveDeadlineSeconds = ptr.To(o.ActiveDeadlineSeconds)
	}
	return spec
}
