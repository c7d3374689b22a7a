//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/restmapper"

	"github.com/prewarm-dev/prewarm/tests/internal/cluster"
)

func installCRDs() error {
	ext, err := apiextclient.NewForConfig(cp.Config())
	if err != nil {
		return err
	}
	for _, f := range []string{"config/crd/kelos.dev_workspaces.yaml", "config/crd/kelos.dev_tasks.yaml"} {
		if _, err := cluster.ApplyCRDs(context.Background(), ext, filepath.Join(repoRoot, f)); err != nil {
			return err
		}
	}
	return nil
}

func kube(t testing.TB) kubernetes.Interface {
	t.Helper()
	cs, err := kubernetes.NewForConfig(cp.Config())
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// namespace creates a fresh namespace with its default ServiceAccount.
func namespace(t testing.TB, name string) {
	t.Helper()
	if err := cluster.EnsureNamespace(t.Context(), kube(t), name, nil); err != nil {
		t.Fatal(err)
	}
}

// apply creates every object in a multi-document YAML stream in ns.
func apply(t testing.TB, ns string, yamlDocs []byte) []*unstructured.Unstructured {
	t.Helper()
	dc, err := dynamic.NewForConfig(cp.Config())
	if err != nil {
		t.Fatal(err)
	}
	disc, err := discovery.NewDiscoveryClientForConfig(cp.Config())
	if err != nil {
		t.Fatal(err)
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disc))
	var out []*unstructured.Unstructured
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(yamlDocs), 4096)
	for {
		obj := &unstructured.Unstructured{}
		if err := dec.Decode(&obj.Object); err != nil {
			if err == io.EOF {
				break
			}
			t.Fatal(err)
		}
		if len(obj.Object) == 0 {
			continue
		}
		gvk := obj.GroupVersionKind()
		m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			t.Fatalf("%s: %v", gvk, err)
		}
		var ri dynamic.ResourceInterface = dc.Resource(m.Resource)
		if m.Scope.Name() == meta.RESTScopeNameNamespace {
			obj.SetNamespace(ns)
			ri = dc.Resource(m.Resource).Namespace(ns)
		}
		created, err := ri.Create(t.Context(), obj, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("create %s %s: %v", gvk.Kind, obj.GetName(), err)
		}
		out = append(out, created)
	}
	return out
}

// waitPod polls the pod until done returns true or the timeout passes.
func waitPod(t testing.TB, ns, name string, timeout time.Duration, done func(*corev1.Pod) bool) *corev1.Pod {
	t.Helper()
	cs := kube(t)
	deadline := time.Now().Add(timeout)
	var pod *corev1.Pod
	for {
		p, err := cs.CoreV1().Pods(ns).Get(t.Context(), name, metav1.GetOptions{})
		if err == nil {
			pod = p
			if done(p) {
				return p
			}
		} else if !apierrors.IsNotFound(err) {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("pod %s/%s not done after %v; last status: %s\n%s", ns, name, timeout, podSummary(pod), node.LogTail(15))
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func finished(p *corev1.Pod) bool {
	return p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
}

func running(p *corev1.Pod) bool {
	if p.Status.Phase != corev1.PodRunning || p.Status.PodIP == "" {
		return false
	}
	for _, c := range p.Status.ContainerStatuses {
		if !c.Ready {
			return false
		}
	}
	return true
}

// jobPod waits for the Job's pod to appear and returns its name.
func jobPod(t testing.TB, ns, job string) string {
	t.Helper()
	cs := kube(t)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		pods, err := cs.CoreV1().Pods(ns).List(t.Context(), metav1.ListOptions{LabelSelector: "batch.kubernetes.io/job-name=" + job})
		if err != nil {
			t.Fatal(err)
		}
		if len(pods.Items) > 0 {
			return pods.Items[0].Name
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s/%s made no pod in 2m\n%s", ns, job, node.LogTail(15))
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// logs reads a container's log through the API server (and so the kubelet).
func logs(t testing.TB, ns, pod, container string) string {
	t.Helper()
	b, err := kube(t).CoreV1().Pods(ns).GetLogs(pod, &corev1.PodLogOptions{Container: container}).DoRaw(t.Context())
	if err != nil {
		t.Fatalf("logs %s/%s[%s]: %v", ns, pod, container, err)
	}
	return string(b)
}

func podSummary(p *corev1.Pod) string {
	if p == nil {
		return "(no pod)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "phase=%s reason=%s msg=%s", p.Status.Phase, p.Status.Reason, p.Status.Message)
	for _, c := range p.Status.Conditions {
		fmt.Fprintf(&b, "\n  cond %s=%s %s %s", c.Type, c.Status, c.Reason, c.Message)
	}
	for _, set := range [][]corev1.ContainerStatus{p.Status.InitContainerStatuses, p.Status.ContainerStatuses} {
		for _, c := range set {
			fmt.Fprintf(&b, "\n  %s: %s", c.Name, stateString(c.State))
		}
	}
	return b.String()
}

func stateString(s corev1.ContainerState) string {
	switch {
	case s.Waiting != nil:
		return "waiting " + s.Waiting.Reason + " " + s.Waiting.Message
	case s.Running != nil:
		return "running"
	case s.Terminated != nil:
		return fmt.Sprintf("terminated %s exit=%d %s", s.Terminated.Reason, s.Terminated.ExitCode, s.Terminated.Message)
	}
	return "?"
}

// hostDir makes a folder under the suite's temp dir for a hostPath volume.
func hostDir(t testing.TB, name string, uid int, mode os.FileMode) string {
	t.Helper()
	dir := filepath.Join(work, "volumes", name)
	if err := os.MkdirAll(dir, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, uid, uid); err != nil {
		t.Fatal(err)
	}
	return dir
}

var _ = context.Background
