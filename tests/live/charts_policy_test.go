package live

// The prewarm-policy chart against the real API server: installed with the
// helm CLI from tools.mod, the ValidatingAdmissionPolicy refuses Workspaces
// with the policy's own message. This file also holds the helm/kubeconfig
// helpers charts_caches_test.go uses.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"

	"github.com/prewarm-dev/prewarm/tests/internal/cluster"
	"github.com/prewarm-dev/prewarm/tests/internal/helmcli"
)

// chartsHelm runs the helm CLI from tools.mod against the test control
// plane, with its own kubeconfig and helm home directories.
type chartsHelm struct {
	*helmcli.CLI
	kubeconfig string
}

func newChartsHelm(t *testing.T) *chartsHelm {
	t.Helper()
	h, err := helmcli.New(repoRoot, t.TempDir(), "prewarm-test", cp.Config())
	if err != nil {
		t.Fatal(err)
	}
	return &chartsHelm{CLI: h, kubeconfig: h.Kubeconfig}
}

// chartsWriteKubeconfig writes a kubeconfig for the shared control plane's
// admin user into dir and returns its path.
func chartsWriteKubeconfig(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "kubeconfig")
	if err := cluster.WriteKubeconfig(path, "prewarm-test", cp.Config(), ""); err != nil {
		t.Fatal(err)
	}
	return path
}

// run executes `helm ARGS...` and returns its combined output.
func (h *chartsHelm) run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	return h.Run(args...)
}

// must runs helm and fails the test on an error.
func (h *chartsHelm) must(t *testing.T, args ...string) string {
	t.Helper()
	out, err := h.run(t, args...)
	if err != nil {
		t.Fatalf("helm %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// install installs chart (charts/NAME) as release in ns with args and
// uninstalls it when the test ends.
func (h *chartsHelm) install(t *testing.T, release, chart, ns string, args ...string) {
	t.Helper()
	h.must(t, append([]string{"install", release, h.chartPath(chart), "--namespace", ns}, args...)...)
	t.Cleanup(func() { _, _ = h.run(t, "uninstall", release, "--namespace", ns) })
}

// chartPath is the absolute path of charts/NAME.
func (h *chartsHelm) chartPath(name string) string { return h.Chart(name) }

// policyTestLabels select the namespaces the policy releases here apply to,
// so they never judge another test's Workspaces.
var policyTestLabels = map[string]string{"prewarm.dev/test": "charts-policy"}

// policyTestWorkspace is a Workspace named name with the given volumes and
// setup entries.
func policyTestWorkspace(ns, name string, volumes, setup []any) *unstructured.Unstructured {
	spec := map[string]any{"repo": "https://github.com/acme/app"}
	if volumes != nil {
		spec["volumes"] = volumes
	}
	if setup != nil {
		spec["setup"] = setup
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "kelos.dev/v1alpha2",
		"kind":       "Workspace",
		"metadata":   map[string]any{"name": name, "namespace": ns},
		"spec":       spec,
	}}
}

func policyPVCVolume(name string) map[string]any {
	return map[string]any{"name": name, "mountPath": "/cache/" + name,
		"source": map[string]any{"persistentVolumeClaim": map[string]any{"claimName": "team-caches-" + name}}}
}

func policyEmptyDirVolume(name string) map[string]any {
	return map[string]any{"name": name, "mountPath": "/" + name, "source": map[string]any{"emptyDir": map[string]any{}}}
}

func policyHostPathVolume(name string) map[string]any {
	return map[string]any{"name": name, "mountPath": "/" + name, "source": map[string]any{"hostPath": map[string]any{"path": "/var/cache"}}}
}

func policySetupEntry(name, image string) map[string]any {
	return map[string]any{"name": name, "image": image, "command": []any{"sh", "-c", "true"}}
}

// policyDryRun creates u with dry-run and returns the API's refusal (nil if
// it would be stored); any other failure ends the test.
func policyDryRun(t *testing.T, api dynamic.ResourceInterface, u *unstructured.Unstructured) error {
	t.Helper()
	_, err := api.Create(t.Context(), u, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	if err == nil || apierrors.IsInvalid(err) || apierrors.IsForbidden(err) {
		return err
	}
	t.Fatalf("dry-run create %s: %v", u.GetName(), err)
	return nil
}

// policyWaitRefused polls a dry-run create of u until the API refuses it with an
// error containing want: a new policy or binding takes a moment to apply.
func policyWaitRefused(t *testing.T, api dynamic.ResourceInterface, u *unstructured.Unstructured, want string) error {
	t.Helper()
	var last error
	err := wait.PollUntilContextTimeout(t.Context(), 250*time.Millisecond, 90*time.Second, true, func(context.Context) (bool, error) {
		last = policyDryRun(t, api, u)
		return last != nil && strings.Contains(last.Error(), want), nil
	})
	if err != nil {
		t.Fatalf("Workspace %s was not refused with %q within 90s; last answer: %v", u.GetName(), want, last)
	}
	return last
}

// policyTypeChecking returns the API server's type-check warnings for the
// current generation of policy name, and false when no status appears
// within 5s: the status controller that writes status.typeChecking runs
// in kube-controller-manager, which this harness does not start. (Creating
// the policy already proved every expression compiles: the API server
// refuses a policy whose CEL does not.)
func policyTypeChecking(t *testing.T, name string) ([]admissionv1.ExpressionWarning, bool) {
	t.Helper()
	cs := clientset(t, cp.Config())
	var pol *admissionv1.ValidatingAdmissionPolicy
	err := wait.PollUntilContextTimeout(t.Context(), 250*time.Millisecond, 5*time.Second, true, func(ctx context.Context) (bool, error) {
		var err error
		pol, err = cs.AdmissionregistrationV1().ValidatingAdmissionPolicies().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		return pol.Status.ObservedGeneration == pol.Generation && pol.Status.TypeChecking != nil, nil
	})
	if err != nil {
		return nil, false
	}
	return pol.Status.TypeChecking.ExpressionWarnings, true
}

// TestChartsPolicyRefusesWorkspaces installs prewarm-policy with emptyDir
// left out of allowedVolumeSources (the CRD itself allows emptyDir, so only
// the policy can refuse it) and an image registry allowlist, then proves
// each rule against the real API server.
func TestChartsPolicyRefusesWorkspaces(t *testing.T) {
	const ns = "charts-policy"
	gvr := installCRDs(t)["Workspace"]
	ensureNamespace(t, ns, policyTestLabels)
	ensureNamespace(t, "charts-policy-other", nil)
	h := newChartsHelm(t)
	const release = "ws-policy"
	h.must(t, "install", release, h.chartPath("prewarm-policy"),
		"--set", "namespaceSelector.matchLabels.prewarm\\.dev/test=charts-policy",
		"--set", "allowedVolumeSources={persistentVolumeClaim,configMap,secret,ephemeral,csi}",
		"--set", "allowedImageRegistries={docker.io/library/,ghcr.io/acme/}",
	)
	t.Cleanup(func() {
		if out, err := h.run(t, "uninstall", release, "--wait"); err != nil {
			t.Errorf("helm uninstall %s: %v\n%s", release, err, out)
		}
	})
	policy := chartPolicy(release)

	switch warnings, ok := policyTypeChecking(t, policy); {
	case !ok:
		t.Logf("policy %s: no status.typeChecking (written by kube-controller-manager, not running here); its CEL compiled, the API server accepted it", policy)
	case len(warnings) == 0:
		t.Logf("policy %s: status.typeChecking has no expression warnings", policy)
	default:
		for _, w := range warnings {
			t.Errorf("type checking %s: %s", w.FieldRef, w.Warning)
		}
	}

	api := dynamicClient(t).Resource(gvr).Namespace(ns)

	// The policy, not the CRD, refuses emptyDir: the CRD allows it.
	err := policyWaitRefused(t, api, policyTestWorkspace(ns, "ws-emptydir", []any{policyPVCVolume("npm"), policyEmptyDirVolume("scratch")}, nil),
		`Workspace ws-emptydir: volume "scratch" uses emptyDir; allowed sources: persistentVolumeClaim, configMap, secret, ephemeral, csi`)
	t.Logf("emptyDir Workspace refused: %v", err)
	if !strings.Contains(err.Error(), "ValidatingAdmissionPolicy '"+policy+"'") {
		t.Errorf("the refusal does not name the policy %s: %v", policy, err)
	}

	t.Run("valid Workspace is accepted", func(t *testing.T) {
		u := policyTestWorkspace(ns, "ws-ok", []any{policyPVCVolume("npm"), policyPVCVolume("gomod")},
			[]any{policySetupEntry("npm", "node:22-alpine"), policySetupEntry("go", "ghcr.io/acme/golang:1.26")})
		if err := policyDryRun(t, api, u); err != nil {
			t.Errorf("valid Workspace refused: %v", err)
		}
	})

	t.Run("hostPath is refused", func(t *testing.T) {
		err := policyDryRun(t, api, policyTestWorkspace(ns, "ws-host", []any{policyHostPathVolume("host")}, nil))
		if err == nil {
			t.Fatal("hostPath Workspace accepted")
		}
		// Schema validation (the CRD's own CEL) runs before validating
		// admission, so the API answers with the CRD's message only.
		if strings.Contains(err.Error(), `volume "host" uses hostPath`) {
			t.Logf("the API returned the policy's message too: %v", err)
		} else {
			t.Logf("refused by the CRD before admission (the policy's hostPath rule is proven by TestChartsPolicyOnCRDVariant): %v", err)
		}
		if !strings.Contains(err.Error(), "hostPath") {
			t.Errorf("refusal does not mention hostPath: %v", err)
		}
	})

	t.Run("setup image outside the allowed registries is refused", func(t *testing.T) {
		err := policyDryRun(t, api, policyTestWorkspace(ns, "ws-image", []any{policyPVCVolume("npm")},
			[]any{policySetupEntry("npm", "node:22-alpine"), policySetupEntry("evil", "quay.io/evil/miner:1"), policySetupEntry("lookalike", "ghcr.io/acme-evil/x:1")}))
		want := `Workspace ws-image: setup "evil" uses image "quay.io/evil/miner:1"; setup "lookalike" uses image "ghcr.io/acme-evil/x:1"; allowed registries: docker.io/library/, ghcr.io/acme/`
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want a refusal containing %q", err, want)
		}
	})

	t.Run("UPDATE is checked too", func(t *testing.T) {
		u := policyTestWorkspace(ns, "ws-update", []any{policyPVCVolume("npm")}, nil)
		created, err := api.Create(t.Context(), u, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = api.Delete(context.Background(), "ws-update", metav1.DeleteOptions{}) })
		if err := unstructured.SetNestedSlice(created.Object, []any{policyPVCVolume("npm"), policyEmptyDirVolume("tmp")}, "spec", "volumes"); err != nil {
			t.Fatal(err)
		}
		_, err = api.Update(t.Context(), created, metav1.UpdateOptions{DryRun: []string{metav1.DryRunAll}})
		want := `Workspace ws-update: volume "tmp" uses emptyDir`
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("update got %v, want a refusal containing %q", err, want)
		}
	})

	t.Run("namespaces outside namespaceSelector are not judged", func(t *testing.T) {
		other := dynamicClient(t).Resource(gvr).Namespace("charts-policy-other")
		if err := policyDryRun(t, other, policyTestWorkspace("charts-policy-other", "ws-emptydir", []any{policyEmptyDirVolume("scratch")}, nil)); err != nil {
			t.Errorf("emptyDir Workspace outside the selected namespaces refused: %v", err)
		}
	})

	t.Run("Warn and Audit only warn", func(t *testing.T) {
		h.must(t, "upgrade", release, h.chartPath("prewarm-policy"), "--reuse-values",
			"--set", "validationActions={Warn,Audit}")
		rec := &cluster.Warnings{}
		cfg := cp.Config()
		cfg.WarningHandler = rec
		dc, err := dynamic.NewForConfig(cfg)
		if err != nil {
			t.Fatal(err)
		}
		wapi := dc.Resource(gvr).Namespace(ns)
		u := policyTestWorkspace(ns, "ws-warn", []any{policyEmptyDirVolume("scratch")}, nil)
		want := `Workspace ws-warn: volume "scratch" uses emptyDir`
		var got []string
		err = wait.PollUntilContextTimeout(t.Context(), 250*time.Millisecond, 90*time.Second, true, func(context.Context) (bool, error) {
			if err := policyDryRun(t, wapi, u); err != nil {
				return false, nil // the Deny binding may still be in force
			}
			got = rec.Take()
			return strings.Contains(strings.Join(got, "\n"), want), nil
		})
		if err != nil {
			t.Fatalf("after switching to [Warn, Audit], the emptyDir Workspace was not accepted with a warning containing %q (last warnings %q)", want, got)
		}
		t.Logf("accepted with warning: %s", strings.Join(got, "\n"))
	})
}

// TestChartsPolicyOnCRDVariant runs the chart's policy against a Workspace
// CRD variant that, unlike ours, lets hostPath through its schema and keeps
// a securityContext on setup entries: the policy alone must refuse both.
// The variant lives in its own group, so the real CRD is never touched; the
// rendered policy is re-pointed at it.
func TestChartsPolicyOnCRDVariant(t *testing.T) {
	const (
		ns    = "charts-policy-variant"
		group = "variant.prewarm.dev"
	)
	ensureNamespace(t, ns, policyTestLabels)
	policyVariantCRD(t, group)
	gvr := schema.GroupVersionResource{Group: group, Version: "v1alpha2", Resource: "workspaces"}

	h := newChartsHelm(t)
	out := h.must(t, "template", "variant", h.chartPath("prewarm-policy"), "--kube-version", "v1.37.2",
		"--set", "namespaceSelector.matchLabels.prewarm\\.dev/test=charts-policy",
		"--set", "fullnameOverride=prewarm-policy-variant")
	var pol admissionv1.ValidatingAdmissionPolicy
	var bind admissionv1.ValidatingAdmissionPolicyBinding
	for _, doc := range strings.Split(out, "\n---\n") {
		switch {
		case strings.Contains(doc, "kind: ValidatingAdmissionPolicyBinding"):
			if err := yaml.UnmarshalStrict([]byte(doc), &bind); err != nil {
				t.Fatal(err)
			}
		case strings.Contains(doc, "kind: ValidatingAdmissionPolicy"):
			if err := yaml.UnmarshalStrict([]byte(doc), &pol); err != nil {
				t.Fatal(err)
			}
		}
	}
	if pol.Name == "" || bind.Name == "" {
		t.Fatalf("helm template did not render a policy and a binding:\n%s", out)
	}
	pol.Spec.MatchConstraints.ResourceRules[0].APIGroups = []string{group}
	cs := clientset(t, cp.Config())
	vap := cs.AdmissionregistrationV1().ValidatingAdmissionPolicies()
	vapb := cs.AdmissionregistrationV1().ValidatingAdmissionPolicyBindings()
	if _, err := vap.Create(t.Context(), &pol, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = vap.Delete(context.Background(), pol.Name, metav1.DeleteOptions{}) })
	if _, err := vapb.Create(t.Context(), &bind, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = vapb.Delete(context.Background(), bind.Name, metav1.DeleteOptions{}) })

	if warnings, ok := policyTypeChecking(t, pol.Name); ok {
		for _, w := range warnings {
			t.Logf("type checking on the variant %s: %s", w.FieldRef, w.Warning)
		}
	}

	api := dynamicClient(t).Resource(gvr).Namespace(ns)
	variant := func(name string, volumes, setup []any) *unstructured.Unstructured {
		u := policyTestWorkspace(ns, name, volumes, setup)
		u.SetAPIVersion(group + "/v1alpha2")
		return u
	}
	err := policyWaitRefused(t, api, variant("ws-host", []any{policyPVCVolume("npm"), policyHostPathVolume("host")}, nil),
		`Workspace ws-host: volume "host" uses hostPath; allowed sources: persistentVolumeClaim, configMap, secret, emptyDir, ephemeral, csi`)
	t.Logf("hostPath refused by the policy: %v", err)

	cases := []struct {
		name string
		sc   map[string]any
		want string
	}{
		{"privileged", map[string]any{"privileged": true}, "securityContext.privileged: true"},
		{"escalation", map[string]any{"allowPrivilegeEscalation": true}, "securityContext.allowPrivilegeEscalation: true"},
		{"root", map[string]any{"runAsUser": int64(0)}, "securityContext.runAsUser: 0"},
		{"rootgroup", map[string]any{"runAsGroup": int64(0)}, "securityContext.runAsGroup: 0"},
		{"maybe-root", map[string]any{"runAsNonRoot": false}, "securityContext.runAsNonRoot: false"},
		{"caps", map[string]any{"capabilities": map[string]any{"add": []any{"NET_ADMIN", "SYS_ADMIN"}}}, "securityContext.capabilities.add: NET_ADMIN, SYS_ADMIN"},
		{"unmasked", map[string]any{"procMount": "Unmasked"}, "securityContext.procMount: Unmasked"},
		{"seccomp", map[string]any{"seccompProfile": map[string]any{"type": "Unconfined"}}, "securityContext.seccompProfile.type: Unconfined"},
		{"apparmor", map[string]any{"appArmorProfile": map[string]any{"type": "Unconfined"}}, "securityContext.appArmorProfile.type: Unconfined"},
		{"hostprocess", map[string]any{"windowsOptions": map[string]any{"hostProcess": true}}, "securityContext.windowsOptions.hostProcess: true"},
	}
	for _, c := range cases {
		t.Run("setup "+c.name, func(t *testing.T) {
			s := policySetupEntry(c.name, "node:22-alpine")
			s["securityContext"] = c.sc
			err := policyDryRun(t, api, variant("ws-"+c.name, []any{policyPVCVolume("npm")}, []any{policySetupEntry("ok", "node:22-alpine"), s}))
			want := fmt.Sprintf(`Workspace ws-%s: setup %q asks for privilege (%s); setup containers must run unprivileged`, c.name, c.name, c.want)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("got %v, want a refusal containing %q", err, want)
			}
		})
	}
	t.Run("setup with a restricted securityContext is accepted", func(t *testing.T) {
		s := policySetupEntry("ok", "node:22-alpine")
		s["securityContext"] = map[string]any{"runAsUser": int64(61100), "runAsNonRoot": true, "allowPrivilegeEscalation": false,
			"capabilities": map[string]any{"drop": []any{"ALL"}}, "seccompProfile": map[string]any{"type": "RuntimeDefault"}}
		if err := policyDryRun(t, api, variant("ws-restricted", []any{policyPVCVolume("npm")}, []any{s})); err != nil {
			t.Errorf("restricted setup refused: %v", err)
		}
	})
}

// policyVariantCRD installs a copy of the Workspace CRD in group whose volume
// source schema drops the hostPath rule and whose setup entries keep any
// securityContext.
func policyVariantCRD(t *testing.T, group string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "config/crd/kelos.dev_workspaces.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var crd apiextv1.CustomResourceDefinition
	if err := yaml.Unmarshal(data, &crd); err != nil {
		t.Fatal(err)
	}
	crd.Name = "workspaces." + group
	crd.Spec.Group = group
	crd.Spec.Names.ShortNames = nil
	for i := range crd.Spec.Versions {
		spec := crd.Spec.Versions[i].Schema.OpenAPIV3Schema.Properties["spec"]
		setup := spec.Properties["setup"]
		item := setup.Items.Schema
		item.Properties["securityContext"] = apiextv1.JSONSchemaProps{Type: "object", XPreserveUnknownFields: policyPtrTrue()}
		vols := spec.Properties["volumes"]
		vol := vols.Items.Schema
		src := vol.Properties["source"]
		var rules apiextv1.ValidationRules
		for _, r := range src.XValidations {
			if strings.Contains(r.Rule, "hostPath") && !strings.Contains(r.Rule, "filter") {
				continue // the hostPath-only rules; keep "exactly one source"
			}
			if strings.Contains(r.Rule, "has(self.persistentVolumeClaim), has(self.configMap)") {
				continue // the allowed-sources rule, which also refuses hostPath
			}
			rules = append(rules, r)
		}
		src.XValidations = rules
		vol.Properties["source"] = src
		spec.Properties["volumes"] = vols
		spec.Properties["setup"] = setup
		crd.Spec.Versions[i].Schema.OpenAPIV3Schema.Properties["spec"] = spec
	}
	path := filepath.Join(t.TempDir(), "variant-crd.yaml")
	out, err := yaml.Marshal(&crd)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	ext := apiextclient.NewForConfigOrDie(cp.Config())
	if _, err := cluster.ApplyCRDs(t.Context(), ext, path); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = ext.ApiextensionsV1().CustomResourceDefinitions().Delete(context.Background(), crd.Name, metav1.DeleteOptions{})
	})
}

func policyPtrTrue() *bool { b := true; return &b }
