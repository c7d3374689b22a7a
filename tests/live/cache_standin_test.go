package live

// What the cluster-way cache tests (cache_test.go: du|ls,
// cache_clear_cluster_test.go: clear|invalidate) share: the Role a user
// needs, and the stand-in for the Job controller and kubelet.
//
// Stand-in, named so: this control plane runs no Job controller and no
// kubelet. jobStandIn plays both: it creates each Job's pod from the Job's
// own template (so Pod Security "restricted" admission judges the real pod
// spec), reports it Pending/Unschedulable for a while, then lets the test
// run the command of the Job's container against real directories standing
// for the mounted PVCs and writes the exit code and termination message
// into the pod status, as a kubelet does.

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
)

// cacheRole is the least a user needs for the cluster way (docs/runbook.md).
var cacheRole = []rbacv1.PolicyRule{
	{APIGroups: []string{"batch"}, Resources: []string{"jobs"}, Verbs: []string{"create", "get", "delete"}},
	{APIGroups: []string{"batch"}, Resources: []string{"cronjobs"}, Verbs: []string{"list"}},
	{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"list", "delete"}},
	{APIGroups: []string{""}, Resources: []string{"pods/log"}, Verbs: []string{"get"}},
	{APIGroups: []string{""}, Resources: []string{"persistentvolumeclaims"}, Verbs: []string{"get", "list"}},
}

// grantCacheRole creates the Role cacheRole in ns and binds it to user.
func grantCacheRole(t *testing.T, cs kubernetes.Interface, ns, user string) {
	t.Helper()
	if _, err := cs.RbacV1().Roles(ns).Create(t.Context(), &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "prewarm-cache"}, Rules: cacheRole}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.RbacV1().RoleBindings(ns).Create(t.Context(), &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "prewarm-cache"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "prewarm-cache"},
		Subjects:   []rbacv1.Subject{{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: user}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// noJobsLeft fails the test if any Job or pod is left in ns.
func noJobsLeft(t *testing.T, cs kubernetes.Interface, ns, what string) {
	t.Helper()
	if js, _ := cs.BatchV1().Jobs(ns).List(t.Context(), metav1.ListOptions{}); len(js.Items) != 0 {
		t.Errorf("%s: %d Jobs left", what, len(js.Items))
	}
	if ps, _ := cs.CoreV1().Pods(ns).List(t.Context(), metav1.ListOptions{}); len(ps.Items) != 0 {
		t.Errorf("%s: %d pods left", what, len(ps.Items))
	}
}

// containerRun is what the stand-in's kubelet saw of a container: its exit
// code, the reason it reports and the termination message.
type containerRun struct {
	exit    int32
	reason  string
	message string
}

// jobStandIn plays Job controller and kubelet for the Jobs in ns labelled
// app.kubernetes.io/component=component. It records the Jobs it saw and
// the errors it met.
type jobStandIn struct {
	t         *testing.T
	cs        kubernetes.Interface
	ns        string
	component string
	pending   time.Duration                       // how long a pod stays Pending
	exec      func(corev1.Container) containerRun // runs the container's command
	mu        sync.Mutex
	hold      bool // leave new pods Pending (timeout and ^C cases)
	jobs      []*batchv1.Job
	errs      []error
}

func (n *jobStandIn) run(ctx context.Context) {
	done := map[string]bool{}
	for ctx.Err() == nil {
		jobs, err := n.cs.BatchV1().Jobs(n.ns).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/component=" + n.component})
		if err == nil {
			for i := range jobs.Items {
				j := &jobs.Items[i]
				if !done[j.Name] {
					done[j.Name] = true
					n.mu.Lock()
					n.jobs = append(n.jobs, j.DeepCopy())
					hold := n.hold
					n.mu.Unlock()
					go n.runJob(ctx, j, hold)
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// setHold makes the pods of new Jobs stay Pending.
func (n *jobStandIn) setHold() {
	n.mu.Lock()
	n.hold = true
	n.mu.Unlock()
}

// seenJobs fails t when the stand-in met an error (the Job's pod refused
// or not updated) or saw other than want Jobs; it returns the Jobs.
func (n *jobStandIn) seenJobs(t *testing.T, want int) []*batchv1.Job {
	t.Helper()
	n.mu.Lock()
	jobs, errs := append([]*batchv1.Job{}, n.jobs...), append([]error{}, n.errs...)
	n.mu.Unlock()
	if len(errs) > 0 {
		t.Fatalf("the Job's pod was refused or could not be updated: %v", errs)
	}
	if len(jobs) != want {
		t.Fatalf("%d Jobs, want %d", len(jobs), want)
	}
	return jobs
}

// mountedClaims is the claims spec mounts, space-separated; each one
// mounted otherwise than readOnly fails t.
func mountedClaims(t *testing.T, spec corev1.PodSpec, readOnly bool) string {
	t.Helper()
	var claims []string
	for _, v := range spec.Volumes {
		claims = append(claims, v.PersistentVolumeClaim.ClaimName)
		switch ro := v.PersistentVolumeClaim.ReadOnly; {
		case ro && !readOnly:
			t.Errorf("volume %s is read-only", v.Name)
		case !ro && readOnly:
			t.Errorf("volume %s is not read-only", v.Name)
		}
	}
	return strings.Join(claims, " ")
}

func (n *jobStandIn) fail(err error) {
	n.mu.Lock()
	n.errs = append(n.errs, err)
	n.mu.Unlock()
}

func (n *jobStandIn) runJob(ctx context.Context, j *batchv1.Job, hold bool) {
	tpl := j.Spec.Template.DeepCopy()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: j.Name + "-x1", Namespace: n.ns,
			Labels:          map[string]string{"batch.kubernetes.io/job-name": j.Name, "job-name": j.Name},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "batch/v1", Kind: "Job", Name: j.Name, UID: j.UID, Controller: ptr.To(true)}},
		},
		Spec: tpl.Spec,
	}
	for k, v := range tpl.Labels {
		pod.Labels[k] = v
	}
	// Pod Security "restricted" admission judges the Job's pod spec here.
	pod, err := n.cs.CoreV1().Pods(n.ns).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		n.fail(err)
		return
	}
	pod.Status = corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{{
		Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable", Message: "0/1 nodes are available (stand-in)",
	}}}
	if pod, err = n.cs.CoreV1().Pods(n.ns).UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err != nil {
		n.fail(err)
		return
	}
	if hold {
		return
	}
	time.Sleep(n.pending)
	c := pod.Spec.Containers[0]
	r := n.exec(c)
	pod.Status.Phase = corev1.PodSucceeded
	if r.exit != 0 {
		pod.Status.Phase = corev1.PodFailed
	}
	pod.Status.Conditions = nil
	pod.Status.ContainerStatuses = []corev1.ContainerStatus{{
		Name: c.Name, Image: c.Image, ImageID: "stand-in",
		State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			ExitCode: r.exit, Reason: r.reason, Message: r.message,
			StartedAt: metav1.Now(), FinishedAt: metav1.Now(),
		}},
	}}
	if _, err := n.cs.CoreV1().Pods(n.ns).UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err != nil {
		n.fail(err)
	}
}
