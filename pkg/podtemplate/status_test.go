package podtemplate

import (
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/prewarm-dev/prewarm/internal/yamlcase"
)

type statusCase struct {
	Name   string           `json:"name"`
	Status corev1.PodStatus `json:"status"`
	// Want is nil when the pod has not failed; message is a regexp.
	Want *struct {
		Step    string `json:"step"`
		Reason  string `json:"reason"`
		Message string `json:"message"`
	} `json:"want"`
}

func TestSetupFailure(t *testing.T) {
	yamlcase.Run(t, "testdata/status/cases.yaml", func(t *testing.T, tc statusCase) {
		f, failed := SetupFailure(&corev1.Pod{Status: tc.Status})
		if tc.Want == nil {
			if failed {
				t.Fatalf("want no failure, got %+v", f)
			}
			return
		}
		if !failed {
			t.Fatal("want a failure, got none")
		}
		if f.Step != tc.Want.Step || f.Reason != tc.Want.Reason || f.Message != tc.Want.Message {
			t.Errorf("got %+v, want %+v", f, *tc.Want)
		}
	})
}
