package live

import "testing"

func TestCRDInstalls(t *testing.T) {
	gvr := installCRDs(t) // fails unless every CRD becomes Established
	for _, kind := range []string{"Workspace", "Task"} {
		if _, ok := gvr[kind]; !ok {
			t.Errorf("no CRD for kind %s in %v", kind, crdFiles)
		}
	}
}
