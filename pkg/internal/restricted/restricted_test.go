package restricted

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

func TestProblem(t *testing.T) {
	ok := func() *corev1.SecurityContext {
		return &corev1.SecurityContext{
			RunAsNonRoot: ptr.To(true), RunAsUser: ptr.To(int64(61100)), AllowPrivilegeEscalation: ptr.To(false),
			Capabilities:   &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		}
	}
	cases := map[string]func(*corev1.SecurityContext){
		"":                                      func(*corev1.SecurityContext) {},
		"runAsNonRoot is not true":              func(sc *corev1.SecurityContext) { sc.RunAsNonRoot = nil },
		"runAsUser is unset or 0":               func(sc *corev1.SecurityContext) { sc.RunAsUser = ptr.To(int64(0)) },
		"allowPrivilegeEscalation is not false": func(sc *corev1.SecurityContext) { sc.AllowPrivilegeEscalation = ptr.To(true) },
		"privileged":                            func(sc *corev1.SecurityContext) { sc.Privileged = ptr.To(true) },
		"capabilities are not exactly drop [ALL]": func(sc *corev1.SecurityContext) { sc.Capabilities.Add = []corev1.Capability{"NET_RAW"} },
		"seccompProfile is not RuntimeDefault":    func(sc *corev1.SecurityContext) { sc.SeccompProfile.Type = corev1.SeccompProfileTypeUnconfined },
	}
	for want, breakIt := range cases {
		sc := ok()
		breakIt(sc)
		if got := Problem(sc); got != want {
			t.Errorf("Problem = %q, want %q", got, want)
		}
	}
	if got := Problem(nil); got != "no securityContext" {
		t.Errorf("Problem(nil) = %q", got)
	}
	pod := corev1.PodSpec{InitContainers: []corev1.Container{{Name: "a", SecurityContext: ok()}}, Containers: []corev1.Container{{Name: "b"}}}
	if got := Problems(pod); len(got) != 1 || got[0] != "container b: no securityContext" {
		t.Errorf("Problems = %q", got)
	}
}
