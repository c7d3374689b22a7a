package report

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestWorkspaceFromKelosClone: Kelos' git-clone passes "-- <repo> <dir>"
// last; with a GitHub token it runs `sh -c` whose args start with "--"
// too (tests/testdata/kelos/jobs/02-branch-files-ref.job.yaml).
func TestWorkspaceFromKelosClone(t *testing.T) {
	for name, args := range map[string][]string{
		"plain":      {"clone", "--no-single-branch", "--depth", "1", "--", "https://github.com/example/app.git", "/workspace/repo"},
		"with token": {"--", "clone", "--branch", "main", "--no-single-branch", "--depth", "1", "--", "https://github.com/example/app.git", "/workspace/repo"},
	} {
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{LabelKelosComponent: "task"}},
			Spec: corev1.PodSpec{InitContainers: []corev1.Container{{Name: "git-clone", Args: args}}}}
		if got := Workspace(pod); got != "https://github.com/example/app.git" {
			t.Errorf("%s: Workspace = %q, want the repository", name, got)
		}
	}
}
