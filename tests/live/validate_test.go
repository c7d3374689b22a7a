package live

import (
	"fmt"
	"strings"
	"testing"
	"text/tabwriter"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
)

// verdict is what each side said about one case.
type verdict struct {
	c             validateCase
	goOK, apiOK   bool
	goMsg, apiMsg string
}

// TestValidationAgreesWithAPIServer runs every case through Workspace.Validate
// and through a server-side dry-run create, and fails on any case where the
// two disagree, so the Go rules and the CRD cannot drift apart.
func TestValidationAgreesWithAPIServer(t *testing.T) {
	const ns = "validate"
	gvr := installCRDs(t)["Workspace"]
	ensureNamespace(t, ns, nil)
	api := dynamicClient(t).Resource(gvr).Namespace(ns)
	var verdicts []verdict
	for _, c := range loadCases(t) {
		if c.AllowHostPath {
			t.Logf("skip %s (%s): allowHostPath cases are Go-only", c.Name, c.File)
			continue
		}
		verdicts = append(verdicts, judge(t, api, c, ns))
	}
	t.Logf("Go Validate() vs API server dry-run, %d cases:\n%s", len(verdicts), table(verdicts))
	for _, v := range verdicts {
		if v.goOK != v.apiOK {
			t.Errorf("%s (%s): Go says %s, API server says %s\n  Go:  %s\n  API: %s",
				v.c.Name, v.c.File, word(v.goOK), word(v.apiOK), v.goMsg, v.apiMsg)
		}
	}
}

func judge(t *testing.T, api dynamic.ResourceInterface, c validateCase, ns string) verdict {
	t.Helper()
	errs := c.typed(t, ns).Validate()
	v := verdict{c: c, goOK: len(errs) == 0, apiOK: true}
	if !v.goOK {
		v.goMsg = errs.ToAggregate().Error()
	}
	if err := dryRunCreate(t, api, c.object(t, ns)); err != nil {
		v.apiOK, v.apiMsg = false, err.Error()
	}
	return v
}

// dryRunCreate returns the server's rejection of u, or nil if it would be
// stored. Any other failure (no CRD, no connection) ends the test: it is no
// verdict on the object.
func dryRunCreate(t *testing.T, api dynamic.ResourceInterface, u *unstructured.Unstructured) error {
	t.Helper()
	// Strict, as kubectl uses: unknown fields are errors, not pruned.
	opts := metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}, FieldValidation: "Strict"}
	_, err := api.Create(t.Context(), u, opts)
	if err == nil || apierrors.IsInvalid(err) || apierrors.IsBadRequest(err) || apierrors.IsForbidden(err) {
		return err
	}
	t.Fatalf("dry-run create %s: %v", u.GetName(), err)
	return nil
}

func table(vs []verdict) string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "CASE\tFILE\tTABLE\tGO\tAPI\tAGREE\tAPI MESSAGE")
	for _, v := range vs {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", v.c.Name, v.c.File,
			word(v.c.valid()), word(v.goOK), word(v.apiOK), agree(v), short(v.apiMsg, 110))
	}
	w.Flush()
	return b.String()
}

func word(ok bool) string {
	if ok {
		return "valid"
	}
	return "invalid"
}

func agree(v verdict) string {
	if v.goOK == v.apiOK {
		return "yes"
	}
	return "NO"
}

func short(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
