package report

import (
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Labels and names this package reads from Task pods.
const (
	// LabelWorkspace names the Workspace of a pod; the preferred source.
	// Kelos puts no Workspace label on its Task pods: add this one through
	// the Task's podOverrides.labels to group by Workspace name.
	LabelWorkspace = "prewarm.dev/workspace"
	// LabelKelosWorkspace is set on pods rendered by `prewarm pod`
	// (pkg/podtemplate).
	LabelKelosWorkspace = "kelos.dev/workspace"
	// LabelKelosTask is on every Kelos Task pod and every pod rendered by
	// `prewarm pod`.
	LabelKelosTask = "kelos.dev/task"
	// LabelKelosComponent is "task" on Kelos Task pods.
	LabelKelosComponent = "kelos.dev/component"
	// gitCloneContainer is the first init container of every Task pod.
	gitCloneContainer = "git-clone"
)

// IsTaskPod reports whether pod belongs to a Kelos Task: it carries
// kelos.dev/component=task (Kelos' job builder) or a kelos.dev/task label
// (Kelos and `prewarm pod`). Every other pod is ignored.
func IsTaskPod(pod *corev1.Pod) bool {
	if pod.Labels[LabelKelosComponent] == "task" {
		return true
	}
	_, ok := pod.Labels[LabelKelosTask]
	return ok
}

// Workspace names the Workspace of a Task pod: the prewarm.dev/workspace
// label, else kelos.dev/workspace, else the repository the git-clone init
// container clones (env GIT_REPO, or Kelos' "... -- <repo> <dir>" args), else
// "" (unknown).
func Workspace(pod *corev1.Pod) string {
	for _, l := range []string{LabelWorkspace, LabelKelosWorkspace} {
		if v := pod.Labels[l]; v != "" {
			return v
		}
	}
	for _, c := range pod.Spec.InitContainers {
		if c.Name != gitCloneContainer {
			continue
		}
		for _, e := range c.Env {
			if e.Name == "GIT_REPO" && e.Value != "" {
				return e.Value
			}
		}
		// The last "--": Kelos' git-clone with a token runs `sh -c` with
		// args "-- clone ... -- <repo> <dir>".
		for i := len(c.Args) - 2; i >= 0; i-- {
			if c.Args[i] == "--" {
				return c.Args[i+1]
			}
		}
	}
	return ""
}

// Run is one summary line of one setup container of one Task pod.
type Run struct {
	Namespace string    `json:"namespace"`
	Workspace string    `json:"workspace"`
	Pod       string    `json:"pod"`
	Container string    `json:"container"`
	Finished  time.Time `json:"finished"`
	Line
}

// Runs returns the summary lines in the termination messages of pod's
// terminated init containers, in container order; nil for a pod that is
// not a Task pod.
func Runs(pod *corev1.Pod) []Run {
	if !IsTaskPod(pod) {
		return nil
	}
	ws := Workspace(pod)
	var out []Run
	for _, st := range pod.Status.InitContainerStatuses {
		t := st.State.Terminated
		if t == nil || t.Message == "" {
			continue
		}
		for _, l := range ParseMessage(t.Message) {
			out = append(out, Run{Namespace: pod.Namespace, Workspace: ws, Pod: pod.Name,
				Container: st.Name, Finished: t.FinishedAt.Time.UTC(), Line: l})
		}
	}
	return out
}
