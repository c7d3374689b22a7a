package live

import (
	"testing"

	authzv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestReportChartExporterLeastPrivilegeAndRestricted installs the
// prewarm-caches chart with metrics.enabled on the real API server (RBAC
// authorizer, PodSecurity admission) and checks what a cluster decides:
// the exporter's ServiceAccount may list and watch pods in the release
// namespace and nothing else (SubjectAccessReview), and its pod template is
// admitted under Pod Security "restricted" (server-side dry run; Deployments
// are not checked by PodSecurity, their pods are).
func TestReportChartExporterLeastPrivilegeAndRestricted(t *testing.T) {
	const (
		ns      = "report-chart"
		release = "obs"
	)
	cs, _ := installCaches(t, ns, release,
		"--set", "metrics.enabled=true", "--set", "metrics.dashboard.enabled=true")
	ensureNamespace(t, "report-chart-other", nil)

	dep, err := cs.AppsV1().Deployments(ns).Get(t.Context(), "obs-prewarm-caches-exporter", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "exporter-dry-run", Namespace: ns, Labels: dep.Spec.Template.Labels},
		Spec: *dep.Spec.Template.Spec.DeepCopy()}
	if _, err := cs.CoreV1().Pods(ns).Create(t.Context(), pod, metav1.CreateOptions{DryRun: dryRun, FieldValidation: "Strict"}); err != nil {
		t.Errorf("the exporter pod is not admitted under Pod Security restricted: %v", err)
	}
	if _, err := cs.CoreV1().ConfigMaps(ns).Get(t.Context(), "obs-prewarm-caches-dashboard", metav1.GetOptions{}); err != nil {
		t.Errorf("dashboard ConfigMap: %v", err)
	}

	user := "system:serviceaccount:" + ns + ":" + dep.Spec.Template.Spec.ServiceAccountName
	for _, c := range []struct {
		ns, verb, resource string
		allowed            bool
	}{
		{ns, "list", "pods", true},
		{ns, "watch", "pods", true},
		{ns, "get", "pods", false},
		{ns, "delete", "pods", false},
		{ns, "list", "secrets", false},
		{ns, "list", "configmaps", false},
		{"report-chart-other", "list", "pods", false},
		{"", "list", "pods", false}, // cluster-wide
	} {
		sar := &authzv1.SubjectAccessReview{Spec: authzv1.SubjectAccessReviewSpec{
			User:               user,
			Groups:             []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"},
			ResourceAttributes: &authzv1.ResourceAttributes{Namespace: c.ns, Verb: c.verb, Resource: c.resource},
		}}
		got, err := cs.AuthorizationV1().SubjectAccessReviews().Create(t.Context(), sar, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got.Status.Allowed != c.allowed {
			t.Errorf("%s %s %s in namespace %q: allowed=%v, want %v (%s)", user, c.verb, c.resource, c.ns, got.Status.Allowed, c.allowed, got.Status.Reason)
		}
	}
}
