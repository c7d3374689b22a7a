package v1alpha2

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// TestValidateUTF8: bytes JSON cannot carry are refused, naming the field;
// FormatInvalid prints them the one way.
func TestValidateUTF8(t *testing.T) {
	w := &Workspace{Spec: WorkspaceSpec{
		Repo:  "https://github.com/example/app.git",
		Setup: []SetupContainer{{Name: "s", Image: "alpine:3.20", Args: []string{"ok", "bad\xff"}}},
		Env:   []corev1.EnvVar{{Name: "A", Value: "\x90"}},
	}}
	w.Name = "w"
	got := FormatInvalid("workspace w", w.Validate())
	for _, want := range []string{
		"workspace w is invalid:\n  ",
		`spec.setup[0].args[1]: Invalid value: "bad\xff": must be valid UTF-8`,
		`spec.env[0].value: Invalid value: "\x90": must be valid UTF-8`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	if strings.Contains(got, "args[0]") {
		t.Errorf("a valid string was refused:\n%s", got)
	}
	if FormatInvalid("x", nil) != "" {
		t.Error("FormatInvalid of no errors is not empty")
	}
}
