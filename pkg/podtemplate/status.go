package podtemplate

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
)

// Failure says why a Task pod did not reach its agent, in the words a Task
// condition would carry.
type Failure struct {
	// Step is the init container name (a setup entry or a built-in step).
	Step string
	// Reason is a short CamelCase reason for the condition.
	Reason string
	// Message is the human sentence, e.g. "setup step install failed: …".
	Message string
}

// SetupFailure inspects a pod's init container statuses and reports the
// first step that failed or cannot start. ok is false while nothing failed.
func SetupFailure(pod *corev1.Pod) (Failure, bool) {
	for _, st := range pod.Status.InitContainerStatuses {
		if f, ok := terminatedFailure(st); ok {
			return f, true
		}
		if f, ok := waitingFailure(pod, st); ok {
			return f, true
		}
	}
	if pod.Status.Reason == "DeadlineExceeded" {
		step := runningStep(pod)
		return Failure{Step: step, Reason: "DeadlineExceeded",
			Message: fmt.Sprintf("%s did not finish before the pod deadline (activeDeadlineSeconds)", stepNoun(step))}, true
	}
	return Failure{}, false
}

func terminatedFailure(st corev1.ContainerStatus) (Failure, bool) {
	t := st.State.Terminated
	if t == nil || t.ExitCode == 0 {
		return Failure{}, false
	}
	f := Failure{Step: st.Name, Reason: "SetupFailed"}
	switch t.Reason {
	case "OOMKilled":
		f.Reason = "SetupOOMKilled"
		f.Message = fmt.Sprintf("%s failed: out of memory (OOMKilled, exit code %d); raise its resources.limits.memory", stepNoun(st.Name), t.ExitCode)
	default:
		f.Message = fmt.Sprintf("%s failed: exit code %d", stepNoun(st.Name), t.ExitCode)
		if t.Reason != "" && t.Reason != "Error" {
			f.Message += " (" + t.Reason + ")"
		}
		if t.Message != "" {
			f.Message += ": " + t.Message
		}
	}
	return f, true
}

// waitingFailure reports init containers that can never start: image pull
// errors and bad configuration. Plain PodInitializing waits are not failures.
func waitingFailure(pod *corev1.Pod, st corev1.ContainerStatus) (Failure, bool) {
	w := st.State.Waiting
	if w == nil {
		return Failure{}, false
	}
	switch w.Reason {
	case "ErrImagePull", "ImagePullBackOff", "InvalidImageName":
		return Failure{Step: st.Name, Reason: "SetupImagePullFailed",
			Message: fmt.Sprintf("%s cannot start: image %s could not be pulled (%s): %s", stepNoun(st.Name), st.Image, w.Reason, w.Message)}, true
	case "CreateContainerConfigError", "CreateContainerError":
		return Failure{Step: st.Name, Reason: "SetupConfigError",
			Message: fmt.Sprintf("%s cannot start (%s): %s", stepNoun(st.Name), w.Reason, w.Message)}, true
	}
	return Failure{}, false
}

// runningStep is the init container that was running when the pod stopped.
func runningStep(pod *corev1.Pod) string {
	for _, st := range pod.Status.InitContainerStatuses {
		if st.State.Terminated == nil || st.State.Terminated.ExitCode != 0 {
			return st.Name
		}
	}
	return AgentContainer
}

func stepNoun(name string) string {
	switch name {
	case GitCloneContainer, BranchContainer, FilesContainer:
		return "built-in step " + name
	case AgentContainer:
		return "agent"
	}
	return "setup step " + name
}
