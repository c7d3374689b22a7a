// Package kelos runs prewarm against released Kelos, as data: a real
// kube-apiserver v1.37.2 with Kelos' own CRDs (tests/testdata/kelos/crds,
// conversion set to None since no Kelos webhook runs; v1alpha2 only) and
// the Jobs Kelos' job builder makes (tests/testdata/kelos/jobs). Kelos'
// CRDs and prewarm's own (tests/live) have the same names, so this package
// has its own control plane.
package kelos

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/prewarm-dev/prewarm/tests/internal/cluster"
	"github.com/prewarm-dev/prewarm/tests/internal/fixtures"
	"github.com/prewarm-dev/prewarm/tests/internal/helmcli"
)

const (
	repoRoot = "../.."
)

var cp *cluster.ControlPlane

func TestMain(m *testing.M) {
	os.Exit(cluster.RunTests(m, func(c *cluster.ControlPlane) { cp = c }))
}

// loadKelosCRDs creates Kelos' CRDs with conversion strategy None
// (idempotent: any test may run alone).
func loadKelosCRDs(t *testing.T) {
	t.Helper()
	ext := apiextclient.NewForConfigOrDie(cp.Config())
	crds, err := fixtures.KelosCRDs()
	if err != nil {
		t.Fatal(err)
	}
	for _, crd := range crds {
		_, err = ext.ApiextensionsV1().CustomResourceDefinitions().Create(t.Context(), crd, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatalf("%s: %v", crd.Name, err)
		}
		err = wait.PollUntilContextTimeout(t.Context(), 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
			got, err := ext.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, crd.Name, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			for _, c := range got.Status.Conditions {
				if c.Type == apiextv1.Established && c.Status == apiextv1.ConditionTrue {
					return true, nil
				}
			}
			return false, nil
		})
		if err != nil {
			t.Fatalf("CRD %s not established: %v", crd.Name, err)
		}
	}
}

func clientset(t *testing.T) kubernetes.Interface {
	t.Helper()
	return kubernetes.NewForConfigOrDie(cp.Config())
}

func dynamicClient(t *testing.T) dynamic.Interface {
	t.Helper()
	return dynamic.NewForConfigOrDie(cp.Config())
}

func ensureNamespace(t *testing.T, name string, labels map[string]string) {
	t.Helper()
	if err := cluster.EnsureNamespace(t.Context(), clientset(t), name, labels); err != nil {
		t.Fatal(err)
	}
}

// helmCLI runs the helm CLI from tools.mod against the control plane.
type helmCLI struct{ *helmcli.CLI }

func newHelm(t *testing.T) *helmCLI {
	t.Helper()
	h, err := helmcli.New(repoRoot, t.TempDir(), "kelos-test", cp.Config())
	if err != nil {
		t.Fatal(err)
	}
	return &helmCLI{h}
}

// run executes helm ARGS and returns its combined output.
func (h *helmCLI) run(args ...string) (string, error) { return h.Run(args...) }

// must runs helm and fails the test on an error or on any warning about a
// deprecated API version.
func (h *helmCLI) must(t *testing.T, args ...string) string {
	t.Helper()
	out, err := h.run(args...)
	if err != nil {
		t.Fatalf("helm %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	if strings.Contains(strings.ToLower(out), "deprecated") {
		t.Errorf("helm %s warned about a deprecated version:\n%s", strings.Join(args, " "), out)
	}
	return out
}

func (h *helmCLI) chart() string { return h.Chart("prewarm-workspace") }

func fatalf(t *testing.T, format string, a ...any) { t.Helper(); t.Fatal(fmt.Sprintf(format, a...)) }
