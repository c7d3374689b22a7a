package live

import (
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/prewarm-dev/prewarm/pkg/api/v1alpha2"
	"github.com/prewarm-dev/prewarm/pkg/podtemplate"

	"github.com/prewarm-dev/prewarm/tests/internal/cluster"
	"github.com/prewarm-dev/prewarm/tests/internal/fixtures"
)

// restrictedLabels make PodSecurity enforce (pods) and warn (Jobs: enforce
// never applies to controllers) at the restricted level.
var restrictedLabels = map[string]string{
	"pod-security.kubernetes.io/enforce":         "restricted",
	"pod-security.kubernetes.io/enforce-version": "latest",
	"pod-security.kubernetes.io/warn":            "restricted",
	"pod-security.kubernetes.io/warn-version":    "latest",
}

// TestRenderedPodsPassRestricted renders the Task pod for every valid case
// and has the API server admit it, dry-run, under Pod Security "restricted".
func TestRenderedPodsPassRestricted(t *testing.T) {
	const ns = "restricted"
	ensureNamespace(t, ns, restrictedLabels)
	warnings := &cluster.Warnings{}
	cfg := cp.Config()
	cfg.WarningHandler = warnings
	cs := clientset(t, cfg)
	for _, c := range loadCases(t) {
		if !c.valid() || c.AllowHostPath {
			continue // invalid Workspaces are never rendered; hostPath is local-only
		}
		t.Run(c.Name, func(t *testing.T) {
			job := render(t, c.typed(t, ns))
			ensureServiceAccount(t, cs, ns, job.Spec.Template.Spec.ServiceAccountName)
			dryRunPod(t, cs, podFor(job))
			warnings.Take()
			dryRunJob(t, cs, job)
			if w := warnings.Take(); len(w) > 0 {
				t.Errorf("Job %s admitted with warnings:\n%s", job.Name, strings.Join(w, "\n"))
			}
		})
	}
}

func render(t *testing.T, ws *v1alpha2.Workspace) *batchv1.Job {
	t.Helper()
	job, err := podtemplate.Render(ws, fixtures.Task(ws, "t1", "fix it", "prewarm/t1"), podtemplate.Options{})
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	job.Namespace = ws.Namespace
	return job
}

// podFor is the pod the Job controller would create, named after the Job.
func podFor(job *batchv1.Job) *corev1.Pod {
	tmpl := job.Spec.Template
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name:        job.Name,
			Namespace:   job.Namespace,
			Labels:      tmpl.Labels,
			Annotations: tmpl.Annotations,
		},
		Spec: *tmpl.Spec.DeepCopy(),
	}
}

var dryRun = []string{metav1.DryRunAll}

func dryRunPod(t *testing.T, cs kubernetes.Interface, pod *corev1.Pod) {
	t.Helper()
	opts := metav1.CreateOptions{DryRun: dryRun, FieldValidation: "Strict"}
	if _, err := cs.CoreV1().Pods(pod.Namespace).Create(t.Context(), pod, opts); err != nil {
		t.Errorf("API server rejected Pod %s: %v", pod.Name, err)
	}
}

func dryRunJob(t *testing.T, cs kubernetes.Interface, job *batchv1.Job) {
	t.Helper()
	opts := metav1.CreateOptions{DryRun: dryRun, FieldValidation: "Strict"}
	if _, err := cs.BatchV1().Jobs(job.Namespace).Create(t.Context(), job, opts); err != nil {
		t.Errorf("API server rejected Job %s: %v", job.Name, err)
	}
}

// ensureServiceAccount creates a non-default ServiceAccount the pod names;
// the ServiceAccount admission plugin refuses pods whose SA is missing.
func ensureServiceAccount(t *testing.T, cs kubernetes.Interface, ns, name string) {
	t.Helper()
	if name == "" || name == "default" {
		return
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}}
	_, err := cs.CoreV1().ServiceAccounts(ns).Create(t.Context(), sa, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}
