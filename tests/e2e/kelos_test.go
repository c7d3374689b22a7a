//go:build e2e

package e2e

// kelos.integration=admission on released Kelos, on the node: Kelos' own
// CRDs (tests/testdata/kelos/crds), the prewarm-workspace chart's
// MutatingAdmissionPolicy, and Jobs exactly as Kelos' job builder makes
// them (tests/testdata/kelos/jobs), with only the images and the clone URL
// swapped for the local ones.

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apiextclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/yaml"

	"github.com/prewarm-dev/prewarm/tests/images"
	"github.com/prewarm-dev/prewarm/tests/internal/cluster"
	"github.com/prewarm-dev/prewarm/tests/internal/fixtures"
)

// The images and clone URLs Kelos' Jobs name (testdata/kelos/jobs), swapped
// for the local ones.
var kelosImages = map[string]string{
	"alpine/git:v2.47.2":                    images.KelosGit,
	"ghcr.io/kelos-dev/claude-code:latest":  images.KelosAgentNpm,
	"ghcr.io/kelos-dev/codex:latest":        images.KelosAgentNpm,
	"https://github.com/example/app.git":    "", // the repository: see kelosJob
	"https://github.com/example/web.git":    "",
	"https://github.com/example/tools.git":  "",
	"https://github.com/example/legacy.git": "",
}

// TestKelosAdmissionColdThenWarm: with Kelos' CRDs installed (in place of
// prewarm's for the length of the test), the prewarm-workspace chart with
// kelos.integration=admission (failurePolicy Fail, so a broken policy
// refuses the Job instead of letting it run cold) injects the npm setup
// into the Jobs Kelos makes: 01-plain (git-clone only) runs cold,
// 02-branch-files-ref (git-clone, branch-setup, workspace-files) warm or
// from a snapshot; prewarm-npm runs after Kelos' own init containers; the
// Kelos-shaped agent (tini → /kelos_entrypoint.sh, USER 61100, no HOME in
// the pod) passes the stand-in's checks with HOME its image's own.
func TestKelosAdmissionColdThenWarm(t *testing.T) {
	useKelosCRDs(t)
	srv := startServers(t)
	const ns = "e2e-kelos"
	installWorkspace(t, ns, "app", srv, wsOptions{target: "admission", cacheUID: images.AgentUID, cacheMode: 0o755,
		values: "kelos:\n  admission: {failurePolicy: Fail}\n"})
	repoURL := srv.GitURL + "/app.git"
	// The Secrets Kelos' Jobs reference (credentials, GitHub token).
	for name, key := range map[string]string{"anthropic": "ANTHROPIC_API_KEY", "openai": "CODEX_API_KEY", "github-token": "GITHUB_TOKEN"} {
		sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name}, StringData: map[string]string{key: "e2e-not-a-secret"}}
		if _, err := kube(t).CoreV1().Secrets(ns).Create(t.Context(), sec, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	waitPolicyActive(t, ns, kelosJob(t, "01-plain.job.yaml", repoURL))

	for _, c := range []struct{ file, want string }{
		{"01-plain.job.yaml", "cold"},
		{"02-branch-files-ref.job.yaml", "warm|snapshot"},
	} {
		job := kelosJob(t, c.file, repoURL)
		kelosInits := initNames(job.Spec.Template.Spec.InitContainers)
		created, err := kube(t).BatchV1().Jobs(ns).Create(t.Context(), job, metav1.CreateOptions{FieldValidation: "Strict"})
		if err != nil {
			t.Fatal(err)
		}
		pod := waitPod(t, ns, jobPod(t, ns, created.Name), 5*time.Minute, finished)
		recordTaskPod(pod, repoURL)
		if pod.Status.Phase != corev1.PodSucceeded {
			t.Fatalf("%s: pod %s: %s", job.Name, pod.Name, podSummary(pod))
		}
		// Kelos' own init containers first, unchanged, then prewarm's.
		checkInitOrder(t, pod, append(kelosInits, "prewarm-npm"))
		for _, ctr := range pod.Spec.Containers {
			for _, e := range ctr.Env {
				if e.Name == "HOME" {
					t.Errorf("%s: container %s has HOME=%q set in the pod", job.Name, ctr.Name, e.Value)
				}
			}
		}
		line := summaryLine(t, ns, pod, "prewarm-npm")
		checkTerminationMessage(t, pod, "prewarm-npm", line)
		result := field(line, "result")
		if !matches(result, c.want) {
			t.Errorf("%s: setup result %q, want %s\n%s", job.Name, result, c.want, line)
		}
		agent := logs(t, ns, pod.Name, "kelos-agent")
		for _, want := range []string{"kelos-entrypoint: prompt: ", "agent-check: ok uid=61100 passwd-home=/home/agent HOME=/home/agent npm test passed offline",
			"agent-check: cache /cache/npm rw write=ok"} {
			if !strings.Contains(agent, want) {
				t.Errorf("%s: the Kelos-shaped agent's output lacks %q:\n%s", job.Name, want, agent)
			}
		}
		t.Logf("%s: %s | %s", job.Name, line, strings.TrimSpace(agent))
		addReadyRow(readyRow{"npm (Kelos admission)", job.Name, result, timeToReady(t, pod, "kelos-agent"), field(line, "seconds")})
	}
}

// kelosJob reads a Job Kelos' job builder made and swaps its images and its
// clone URL (the git-clone container's "-- <repo> /workspace/repo") for
// the local ones; nothing else changes. imagePullPolicy stays unset, as
// Kelos leaves it: the local tags default to IfNotPresent.
func kelosJob(t *testing.T, file, repoURL string) *batchv1.Job {
	t.Helper()
	job, err := fixtures.ReadKelosJob(file)
	if err != nil {
		t.Fatal(err)
	}
	spec := &job.Spec.Template.Spec
	for _, set := range [][]corev1.Container{spec.InitContainers, spec.Containers} {
		for i := range set {
			c := &set[i]
			local, ok := kelosImages[c.Image]
			if !ok || local == "" {
				t.Fatalf("%s: container %s: no local image for %s", file, c.Name, c.Image)
			}
			c.Image = local
			if c.Name == "git-clone" {
				n := len(c.Args)
				if n < 2 || c.Args[n-1] != "/workspace/repo" {
					t.Fatalf("%s: git-clone args %v do not end in <repo> /workspace/repo", file, c.Args)
				}
				if _, ok := kelosImages[c.Args[n-2]]; !ok {
					t.Fatalf("%s: unexpected repository %s", file, c.Args[n-2])
				}
				c.Args[n-2] = repoURL
			}
		}
	}
	job.Namespace = ""
	return job
}

// waitPolicyActive dry-runs job until the API server's mutating admission
// adds prewarm-npm (a new policy is loaded within seconds).
func waitPolicyActive(t *testing.T, ns string, job *batchv1.Job) {
	t.Helper()
	var got []string
	for range 60 {
		j, err := kube(t).BatchV1().Jobs(ns).Create(t.Context(), job, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		if err != nil {
			t.Fatalf("dry-run Job %s: %v", job.Name, err)
		}
		if got = initNames(j.Spec.Template.Spec.InitContainers); slices.Contains(got, "prewarm-npm") {
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatalf("the admission policy never injected prewarm-npm: init containers %v", got)
}

func initNames(cs []corev1.Container) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}

// useKelosCRDs replaces prewarm's kelos.dev CRDs with released Kelos' own
// (conversion None: no Kelos webhook runs) until the test ends, then puts
// prewarm's back. The two sets share names, so they cannot coexist.
func useKelosCRDs(t *testing.T) {
	t.Helper()
	ext, err := apiextclient.NewForConfig(cp.Config())
	if err != nil {
		t.Fatal(err)
	}
	crds, err := fixtures.KelosCRDs()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var docs []string
	for _, crd := range crds {
		out, err := yaml.Marshal(crd)
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, crd.Name)
		docs = append(docs, string(out))
	}
	ctx := context.Background()
	if err := deleteCRDs(ctx, ext, "workspaces.kelos.dev", "tasks.kelos.dev"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := deleteCRDs(ctx, ext, names...); err != nil {
			t.Errorf("removing Kelos' CRDs: %v", err)
		}
		if err := installCRDs(); err != nil {
			t.Errorf("reinstalling prewarm's CRDs: %v", err)
		}
	})
	path := writeFile(t, "kelos-crds.yaml", strings.Join(docs, "\n---\n"))
	if _, err := cluster.ApplyCRDs(ctx, ext, path); err != nil {
		t.Fatal(err)
	}
}

// deleteCRDs deletes the CRDs and waits until they are gone.
func deleteCRDs(ctx context.Context, ext apiextclient.Interface, names ...string) error {
	api := ext.ApiextensionsV1().CustomResourceDefinitions()
	for _, n := range names {
		if err := api.Delete(ctx, n, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return err
		}
	}
	return wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		for _, n := range names {
			_, err := api.Get(ctx, n, metav1.GetOptions{})
			if err == nil {
				return false, nil
			}
			if !apierrors.IsNotFound(err) {
				return false, err
			}
		}
		return true, nil
	})
}
