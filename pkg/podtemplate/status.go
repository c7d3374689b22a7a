package podtemplate

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/prewarm-dev/prewarm/pkg/report"
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
		if m := failureMessage(t.Message); m != "" {
			f.Message += ": " + m
		}
	}
	return f, true
}

// failureMessage picks the sentence to show from a failed step's
// termination message. Setup containers write their summary lines there and
// run with terminationMessagePolicy FallbackToLogsOnError, so the message is
// either what the step wrote or the tail of its log (up to 80 lines): the
// last "prewarm: error: ..." line wins, else the last line that is not a
// summary line of a workdir that finished before the failure. Capped at
// maxFailureMessage bytes so a Task condition stays readable.
func failureMessage(msg string) string {
	lines := strings.Split(strings.TrimSpace(msg), "\n")
	pick := ""
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if strings.HasPrefix(l, "prewarm: error: ") {
			pick = l
			break
		}
		if pick == "" && l != "" && !isSummaryLine(l) {
			pick = l
		}
	}
	if len(pick) > maxFailureMessage {
		pick = pick[:maxFailureMessage] + "…"
	}
	return pick
}

const maxFailureMessage = 512

// isSummaryLine: a setup summary line ("prewarm: <eco> key=… result=…"),
// see pkg/report.ParseLine, the owner of the format.
func isSummaryLine(l string) bool {
	_, err := report.ParseLine(l)
	return err == nil
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
