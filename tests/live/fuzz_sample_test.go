package live

// A deterministic fuzz sample against the real API server: Workspaces made
// by mutating the valid cases of pkg/api/v1alpha2/testdata/validate with a
// fixed seed. Property: whatever Workspace.Validate() accepts, the API
// server accepts too, both the Workspace itself (dry-run create against the
// CRD) and the Task pod podtemplate.Render makes from it (dry-run create in
// a namespace that enforces Pod Security "restricted").
//
// Disagreements that match a known, reported defect are logged (each has
// its own failing TestFuzzSampleRegression... test); any other disagreement fails.

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"regexp"
	"sort"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/prewarm-dev/prewarm/pkg/api/v1alpha2"
	"github.com/prewarm-dev/prewarm/pkg/podtemplate"
)

const (
	fuzzSampleSize = 50
	fuzzSeed1      = 0x70726577 // "prew"
	fuzzSeed2      = 0x61726d21 // "arm!"
	fuzzNamespace  = "fuzz-sample"
	// fuzzMinAccepted keeps the sample meaningful: most mutations must
	// still be valid Workspaces, or the property is tested on nothing.
	fuzzMinAccepted = 20
)

// fuzzObject is one sampled Workspace.
type fuzzObject struct {
	id    string
	base  string
	muts  []string
	obj   map[string]any
	typed *v1alpha2.Workspace
}

// fuzzVerdict is what the API server said about an accepted sample.
type fuzzVerdict struct {
	o                   fuzzObject
	wsErr, renderErr    error
	podErr              error
	knownBug, knownText string
}

func TestFuzzSampleAcceptedWorkspacesPassAPIServer(t *testing.T) {
	gvr := installCRDs(t)["Workspace"]
	ensureNamespace(t, fuzzNamespace, restrictedLabels)
	api := dynamicClient(t).Resource(gvr).Namespace(fuzzNamespace)
	cs := clientset(t, cp.Config())

	sample := fuzzSample(t, fuzzSampleSize)
	var accepted, rejected, undecodable int
	var verdicts []fuzzVerdict
	for _, o := range sample {
		if o.typed == nil {
			undecodable++
			continue
		}
		if errs := o.typed.Validate(); len(errs) > 0 {
			rejected++
			t.Logf("%s: Validate refuses (%s): %v", o.id, strings.Join(o.muts, ", "), fuzzFirst(errs.ToAggregate().Error()))
			continue
		}
		accepted++
		v := fuzzJudge(t, api, cs, o)
		verdicts = append(verdicts, v)
	}
	t.Logf("sample of %d (seed %#x/%#x): %d accepted by Validate, %d refused, %d not decodable",
		len(sample), fuzzSeed1, fuzzSeed2, accepted, rejected, undecodable)
	if accepted < fuzzMinAccepted {
		t.Fatalf("only %d of %d samples are valid Workspaces; the mutators are too destructive to test the property", accepted, len(sample))
	}
	known := map[string]int{}
	for _, v := range verdicts {
		switch {
		case v.wsErr == nil && v.renderErr == nil && v.podErr == nil:
		case v.knownBug != "":
			known[v.knownBug]++
			t.Logf("%s: known defect %s (%s): %s", v.o.id, v.knownBug, strings.Join(v.o.muts, ", "), v.knownText)
		default:
			t.Errorf("%s (base %s, mutations: %s): Validate() accepts it but\n  workspace dry-run: %v\n  render: %v\n  pod dry-run: %v\n  object: %s",
				v.o.id, v.o.base, strings.Join(v.o.muts, ", "), v.wsErr, v.renderErr, v.podErr, fuzzJSON(v.o.obj))
		}
	}
	if len(known) > 0 {
		keys := make([]string, 0, len(known))
		for k := range known {
			keys = append(keys, fmt.Sprintf("%s×%d", k, known[k]))
		}
		sort.Strings(keys)
		t.Logf("samples that hit known defects (see TestFuzzSampleRegression*): %s", strings.Join(keys, ", "))
	}
}

// fuzzJudge dry-runs the Workspace and, when it renders, its Task pod.
func fuzzJudge(t *testing.T, api dynamic.ResourceInterface, cs kubernetes.Interface, o fuzzObject) fuzzVerdict {
	t.Helper()
	v := fuzzVerdict{o: o}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(fuzzJSON(o.obj)); err != nil {
		t.Fatalf("%s: %v", o.id, err)
	}
	u.SetNamespace(fuzzNamespace)
	v.wsErr = dryRunCreate(t, api, u)
	ws := o.typed.DeepCopy()
	ws.Namespace = fuzzNamespace
	task := &v1alpha2.Task{
		ObjectMeta: metav1.ObjectMeta{Name: "t1", Namespace: fuzzNamespace},
		Spec:       v1alpha2.TaskSpec{Type: "claude-code", Prompt: "fix it", Branch: "prewarm/t1", WorkspaceRef: &v1alpha2.WorkspaceReference{Name: ws.Name}},
	}
	job, err := podtemplate.Render(ws, task, podtemplate.Options{})
	if err != nil {
		v.renderErr = err
	} else {
		job.Namespace = fuzzNamespace
		opts := metav1.CreateOptions{DryRun: dryRun, FieldValidation: "Strict"}
		_, v.podErr = cs.CoreV1().Pods(fuzzNamespace).Create(t.Context(), podFor(job), opts)
	}
	v.knownBug, v.knownText = fuzzKnownBug(ws, v)
	return v
}

// fuzzKnownBugs are the reported disagreements, each matched by what the
// Workspace holds and what the API server said. A sample is "known" only
// when each rejection (of the Workspace, of the pod) is explained by a
// defect that applies to it.
var fuzzKnownBugs = []struct {
	name    string
	applies func(ws *v1alpha2.Workspace) bool
	// wsMsg / podMsg match the API server's rejection of the Workspace or
	// of the pod that this defect causes (nil: it causes none).
	wsMsg, podMsg *regexp.Regexp
}{}

func fuzzKnownBug(ws *v1alpha2.Workspace, v fuzzVerdict) (string, string) {
	if v.renderErr != nil || (v.wsErr == nil && v.podErr == nil) {
		return "", ""
	}
	var names, msgs []string
	explained := func(err error, what string, pick func(i int) *regexp.Regexp) bool {
		if err == nil {
			return true
		}
		for i, b := range fuzzKnownBugs {
			if re := pick(i); re != nil && b.applies(ws) && re.MatchString(err.Error()) {
				names = append(names, b.name)
				msgs = append(msgs, what+": "+fuzzFirst(err.Error()))
				return true
			}
		}
		return false
	}
	if !explained(v.wsErr, "workspace", func(i int) *regexp.Regexp { return fuzzKnownBugs[i].wsMsg }) ||
		!explained(v.podErr, "pod", func(i int) *regexp.Regexp { return fuzzKnownBugs[i].podMsg }) {
		return "", ""
	}
	return strings.Join(names, "+"), strings.Join(msgs, " ")
}

func fuzzFirst(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

func fuzzHasNegativeQuantity(ws *v1alpha2.Workspace) bool {
	neg := func(q resource.Quantity) bool { return q.Sign() < 0 }
	for _, s := range ws.Spec.Setup {
		for _, l := range []corev1.ResourceList{s.Resources.Requests, s.Resources.Limits} {
			for _, q := range l {
				if neg(q) {
					return true
				}
			}
		}
	}
	for _, v := range ws.Spec.Volumes {
		if e := v.Source.EmptyDir; e != nil && e.SizeLimit != nil && neg(*e.SizeLimit) {
			return true
		}
		if e := v.Source.Ephemeral; e != nil && e.VolumeClaimTemplate != nil {
			for _, q := range e.VolumeClaimTemplate.Spec.Resources.Requests {
				if neg(q) {
					return true
				}
			}
		}
	}
	return false
}

// fuzzExceedsCRDLength: a string over a CRD maxLength that Validate()
// does not check (repo 2048, ref 255, image 512, paths 1024, names 253).
func fuzzExceedsCRDLength(ws *v1alpha2.Workspace) bool {
	s := ws.Spec
	if len(s.Repo) > 2048 || len(s.Ref) > 255 || (s.SecretRef != nil && len(s.SecretRef.Name) > 253) {
		return true
	}
	for _, c := range s.Setup {
		if len(c.Image) > 512 {
			return true
		}
	}
	for _, v := range s.Volumes {
		if len(v.MountPath) > 1024 || len(v.SubPath) > 1024 {
			return true
		}
	}
	for _, f := range s.Files {
		if len(f.Path) > 1024 || len(f.Content) > 262144 {
			return true
		}
	}
	return false
}

func fuzzHasNonASCIIEnvName(ws *v1alpha2.Workspace) bool {
	bad := func(env []corev1.EnvVar) bool {
		for _, e := range env {
			for _, r := range e.Name {
				if r < 0x20 || r > 0x7e {
					return true
				}
			}
		}
		return false
	}
	if bad(ws.Spec.Env) {
		return true
	}
	for _, c := range ws.Spec.Setup {
		if bad(c.Env) {
			return true
		}
	}
	return false
}

// --- known defects, one failing test each ------------------------------

// fuzzAgree fails t when Validate() accepts obj but the API server refuses
// the Workspace or its Task pod. Either fix (Validate refusing, or the
// renderer producing an admissible pod) makes it pass.
func fuzzAgree(t *testing.T, obj map[string]any) {
	t.Helper()
	gvr := installCRDs(t)["Workspace"]
	ensureNamespace(t, fuzzNamespace, restrictedLabels)
	api := dynamicClient(t).Resource(gvr).Namespace(fuzzNamespace)
	cs := clientset(t, cp.Config())
	ws := &v1alpha2.Workspace{}
	if err := fuzzDecodeStrict(fuzzJSON(obj), ws); err != nil {
		t.Fatal(err)
	}
	if errs := ws.Validate(); len(errs) > 0 {
		t.Logf("Validate refuses it: %v", errs.ToAggregate())
		return
	}
	v := fuzzJudge(t, api, cs, fuzzObject{id: "case", obj: obj, typed: ws})
	if v.wsErr != nil || v.renderErr != nil || v.podErr != nil {
		t.Errorf("Validate() accepts %s but\n  workspace dry-run: %v\n  render: %v\n  pod dry-run (restricted namespace): %v",
			fuzzJSON(obj), v.wsErr, v.renderErr, v.podErr)
	}
}

func fuzzWorkspace(name string, spec map[string]any) map[string]any {
	if spec["repo"] == nil {
		spec["repo"] = "https://github.com/example/app.git"
	}
	return map[string]any{"apiVersion": "kelos.dev/v1alpha2", "kind": "Workspace", "metadata": map[string]any{"name": name}, "spec": spec}
}

// Regression (pkg/api/v1alpha2 Validate, pkg/podtemplate labels): a Workspace
// name is a DNS subdomain (up to 253 characters) but the Task pod carries
// it in the label kelos.dev/workspace, whose values stop at 63. Validate
// accepts, the CRD accepts, the pod is refused.
func TestFuzzSampleRegressionWorkspaceNameOver63BreaksTaskPodLabel(t *testing.T) {
	fuzzAgree(t, fuzzWorkspace("team-a.frontend.monorepo.example.com.my-application-workspace-v2", map[string]any{}))
}

// Regression (pkg/api/v1alpha2 Validate): negative quantities pass Validate and
// the CRD (its quantity pattern allows a sign) but the pod is refused
// ("must be greater than or equal to 0").
func TestFuzzSampleRegressionNegativeQuantityPassesValidate(t *testing.T) {
	for name, spec := range map[string]map[string]any{
		"setup-request": {"setup": []any{map[string]any{"name": "s", "image": "alpine:3.20",
			"resources": map[string]any{"requests": map[string]any{"cpu": "-1"}}}}},
		"emptydir-size-limit": {"volumes": []any{map[string]any{"name": "scratch", "mountPath": "/scratch",
			"source": map[string]any{"emptyDir": map[string]any{"sizeLimit": "-1Gi"}}}}},
	} {
		t.Run(name, func(t *testing.T) { fuzzAgree(t, fuzzWorkspace("neg-"+name, spec)) })
	}
}

// Regression (pkg/api/v1alpha2 Validate and the CRD's env rule): env names only
// need to be non-empty without '=', but Kubernetes requires printable
// ASCII, so "CAFÉ" passes Validate and the CRD and the pod is refused.
func TestFuzzSampleRegressionNonASCIIEnvNamePassesValidate(t *testing.T) {
	fuzzAgree(t, fuzzWorkspace("env-name", map[string]any{"env": []any{map[string]any{"name": "CAFÉ", "value": "1"}}}))
}

// Regression (pkg/api/v1alpha2 Validate): the CRD's maxLength limits (repo 2048,
// ref 255, setup image 512, mountPath/subPath/file path 1024) are not in
// Validate, so `prewarm validate` passes Workspaces the API server refuses.
func TestFuzzSampleRegressionCRDMaxLengthNotInValidate(t *testing.T) {
	long := func(prefix string, n int) string { return prefix + strings.Repeat("x", n-len(prefix)) }
	for name, spec := range map[string]map[string]any{
		"repo-2049":       {"repo": long("https://example.com/", 2049)},
		"ref-256":         {"ref": long("", 256)},
		"image-513":       {"setup": []any{map[string]any{"name": "s", "image": long("img/", 513)}}},
		"mount-path-1025": {"volumes": []any{map[string]any{"name": "c", "mountPath": long("/", 1025), "source": map[string]any{"emptyDir": map[string]any{}}}}},
		"file-path-1025":  {"files": []any{map[string]any{"path": long("", 1025), "content": ""}}},
	} {
		t.Run(name, func(t *testing.T) { fuzzAgree(t, fuzzWorkspace("len-"+strings.ReplaceAll(name, "-", ""), spec)) })
	}
}

// Regression (pkg/api/v1alpha2 ReservedContainerNames): a setup entry called
// "agent" collides with the renderer's agent container; the API server
// refuses the pod (duplicate container name). Unit twin:
// pkg/podtemplate TestRenderPodRefusesSetupNamedAgent.
func TestFuzzSampleRegressionSetupNamedAgentCollidesWithTheAgent(t *testing.T) {
	fuzzAgree(t, fuzzWorkspace("agent-name", map[string]any{"setup": []any{map[string]any{"name": "agent", "image": "alpine:3.20"}}}))
}

// --- the sample -------------------------------------------------------

// fuzzSample mutates the valid, API-bound cases n times with the fixed
// seed; the same binary always produces the same n objects.
func fuzzSample(t *testing.T, n int) []fuzzObject {
	t.Helper()
	var bases []validateCase
	for _, c := range loadCases(t) {
		if c.valid() && !c.AllowHostPath {
			bases = append(bases, c)
		}
	}
	if len(bases) < 5 {
		t.Fatalf("only %d valid cases to mutate", len(bases))
	}
	rng := rand.New(rand.NewPCG(fuzzSeed1, fuzzSeed2))
	out := make([]fuzzObject, 0, n)
	for i := 0; i < n; i++ {
		b := bases[rng.IntN(len(bases))]
		var obj map[string]any
		if err := json.Unmarshal(b.Workspace, &obj); err != nil {
			t.Fatalf("case %s: %v", b.Name, err)
		}
		o := fuzzObject{id: fmt.Sprintf("sample-%02d", i), base: b.Name, obj: obj}
		fuzzSetName(obj, fmt.Sprintf("fuzz-%02d", i))
		for m, k := 0, 1+rng.IntN(3); m < k; m++ {
			mut := fuzzMutators[rng.IntN(len(fuzzMutators))]
			o.muts = append(o.muts, mut.name+":"+mut.apply(rng, obj))
		}
		ws := &v1alpha2.Workspace{}
		if err := fuzzDecodeStrict(fuzzJSON(obj), ws); err == nil {
			o.typed = ws
		} else {
			t.Logf("%s: not decodable: %v", o.id, err)
		}
		out = append(out, o)
	}
	return out
}

func fuzzDecodeStrict(raw []byte, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func fuzzJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// fuzzSetName sets metadata.name, making metadata if it is missing.
func fuzzSetName(obj map[string]any, name string) {
	if err := unstructured.SetNestedField(obj, name, "metadata", "name"); err != nil {
		panic(err) // metadata is not a map: no base case or mutator makes one
	}
}

func fuzzSpec(obj map[string]any) map[string]any {
	spec, _ := obj["spec"].(map[string]any)
	if spec == nil {
		spec = map[string]any{}
		obj["spec"] = spec
	}
	return spec
}

func fuzzList(spec map[string]any, key string) []any {
	l, _ := spec[key].([]any)
	return l
}

type fuzzMutator struct {
	name  string
	apply func(r *rand.Rand, obj map[string]any) string
}

var fuzzMutators = []fuzzMutator{
	{"setup+", func(r *rand.Rand, obj map[string]any) string {
		spec := fuzzSpec(obj)
		name := fuzzLabel(r)
		c := map[string]any{
			"name": name, "image": fuzzImage(r),
			"command": []any{"sh", "-c", "echo " + fuzzHostile(r)},
			"args":    []any{fuzzHostile(r), fuzzHostile(r)},
		}
		if r.IntN(2) == 0 {
			c["workingDir"] = "/" + fuzzPath(r)
		}
		if r.IntN(2) == 0 {
			c["env"] = []any{map[string]any{"name": fuzzEnvName(r), "value": fuzzHostile(r)}}
		}
		spec["setup"] = append(fuzzList(spec, "setup"), c)
		return name
	}},
	{"env+", func(r *rand.Rand, obj map[string]any) string {
		spec := fuzzSpec(obj)
		name := fuzzEnvName(r)
		spec["env"] = append(fuzzList(spec, "env"), map[string]any{"name": name, "value": fuzzHostile(r)})
		return fmt.Sprintf("%q", name)
	}},
	{"volume+", func(r *rand.Rand, obj map[string]any) string {
		spec := fuzzSpec(obj)
		v := map[string]any{"name": fuzzLabel(r), "mountPath": "/" + fuzzPath(r), "source": fuzzSource(r)}
		if r.IntN(3) == 0 {
			v["subPath"] = fuzzPath(r)
		}
		if r.IntN(2) == 0 {
			v["readOnly"] = true
		}
		spec["volumes"] = append(fuzzList(spec, "volumes"), v)
		return fmt.Sprintf("%v", v["mountPath"])
	}},
	{"repo", func(r *rand.Rand, obj map[string]any) string {
		prefix := []string{"https://", "http://", "git://", "ssh://", "git@"}[r.IntN(5)]
		tail := "example.com/" + fuzzPath(r) + fuzzHostile(r)
		if r.IntN(6) == 0 {
			tail += strings.Repeat("x", 2040)
		}
		fuzzSpec(obj)["repo"] = prefix + tail
		return fmt.Sprintf("%d bytes", len(prefix+tail))
	}},
	{"ref", func(r *rand.Rand, obj map[string]any) string {
		ref := fuzzHostile(r)
		if r.IntN(5) == 0 {
			ref += strings.Repeat("r", 250)
		}
		fuzzSpec(obj)["ref"] = ref
		return fmt.Sprintf("%d bytes", len(ref))
	}},
	{"file+", func(r *rand.Rand, obj map[string]any) string {
		spec := fuzzSpec(obj)
		p := fuzzPath(r) + fuzzHostile(r)
		spec["files"] = append(fuzzList(spec, "files"), map[string]any{"path": p, "content": fuzzHostile(r)})
		return fmt.Sprintf("%q", p)
	}},
	{"resources", func(r *rand.Rand, obj map[string]any) string {
		spec := fuzzSpec(obj)
		setup := fuzzList(spec, "setup")
		if len(setup) == 0 {
			setup = []any{map[string]any{"name": "res", "image": "alpine:3.20"}}
			spec["setup"] = setup
		}
		c := setup[r.IntN(len(setup))].(map[string]any)
		req, lim := fuzzQuantity(r), fuzzQuantity(r)
		c["resources"] = map[string]any{"requests": map[string]any{"cpu": req}, "limits": map[string]any{"memory": lim}}
		return fmt.Sprintf("%v cpu=%s memory=%s", c["name"], req, lim)
	}},
	{"name", func(r *rand.Rand, obj map[string]any) string {
		n := fuzzSubdomain(r)
		fuzzSetName(obj, n)
		return fmt.Sprintf("%d chars", len(n))
	}},
	{"readOnly", func(r *rand.Rand, obj map[string]any) string {
		vols := fuzzList(fuzzSpec(obj), "volumes")
		if len(vols) == 0 {
			return "none"
		}
		v := vols[r.IntN(len(vols))].(map[string]any)
		ro, _ := v["readOnly"].(bool)
		v["readOnly"] = !ro
		return fmt.Sprintf("%v", v["name"])
	}},
	{"image", func(r *rand.Rand, obj map[string]any) string {
		setup := fuzzList(fuzzSpec(obj), "setup")
		if len(setup) == 0 {
			return "none"
		}
		img := fuzzImage(r)
		setup[r.IntN(len(setup))].(map[string]any)["image"] = img
		return fmt.Sprintf("%q", img)
	}},
	{"secretRef", func(r *rand.Rand, obj map[string]any) string {
		n := fuzzSubdomain(r)
		fuzzSpec(obj)["secretRef"] = map[string]any{"name": n}
		return n
	}},
	{"drop", func(r *rand.Rand, obj map[string]any) string {
		k := []string{"setup", "volumes", "env", "files", "ref", "secretRef"}[r.IntN(6)]
		delete(fuzzSpec(obj), k)
		return k
	}},
}

const fuzzLower = "abcdefghijklmnopqrstuvwxyz0123456789"

// fuzzLabel is a DNS-1123 label, and one time in ten something that is not.
func fuzzLabel(r *rand.Rand) string {
	if r.IntN(10) == 0 {
		return []string{"Setup_1", "a;b", "kelos-x", "git-clone", "workspace", strings.Repeat("l", 64), "-x", "$(id)"}[r.IntN(8)]
	}
	n := 1 + r.IntN(20)
	if r.IntN(8) == 0 {
		n = 63
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = fuzzLower[r.IntN(len(fuzzLower))]
		if i > 0 && i < n-1 && r.IntN(6) == 0 {
			b[i] = '-'
		}
	}
	return string(b)
}

// fuzzSubdomain is a DNS-1123 subdomain of 1 to 253 characters.
func fuzzSubdomain(r *rand.Rand) string {
	total := []int{5, 40, 63, 64, 100, 253}[r.IntN(6)]
	var b strings.Builder
	for b.Len() < total {
		if b.Len() > 0 {
			if b.Len()+2 > total {
				break
			}
			b.WriteByte('.')
		}
		for i, n := 0, min(1+r.IntN(20), total-b.Len()); i < n; i++ {
			b.WriteByte(fuzzLower[r.IntN(len(fuzzLower))])
		}
	}
	return b.String()
}

// fuzzHostile is a short string full of what a shell would act on.
func fuzzHostile(r *rand.Rand) string {
	frags := []string{"$(touch /tmp/pwned)", "`id`", "; rm -rf /", "| sh", "&& curl x", "> /etc/x", "< /etc/passwd",
		"'", "\"", "\\", "\n", "\t", " ", "*", "?", "[a]", "~", "#", "${HOME}", "$(HOME)", "$$", "é", "日本", "--upload-pack=x", "-rf", "%s%n"}
	var b strings.Builder
	for i, k := 0, 1+r.IntN(4); i < k; i++ {
		b.WriteString(frags[r.IntN(len(frags))])
		if r.IntN(2) == 0 {
			b.WriteByte(fuzzLower[r.IntN(len(fuzzLower))])
		}
	}
	return b.String()
}

// fuzzPath is a relative path of 1 to 4 components, sometimes with a
// hostile component; one time in ten long or with "..".
func fuzzPath(r *rand.Rand) string {
	var parts []string
	for i, k := 0, 1+r.IntN(4); i < k; i++ {
		p := fuzzLabel(r)
		if r.IntN(5) == 0 {
			p = strings.ReplaceAll(fuzzHostile(r), "/", "_")
			if p == "" || p == "." {
				p = "x"
			}
		}
		parts = append(parts, p)
	}
	switch r.IntN(10) {
	case 0:
		parts = append(parts, "..", "x")
	case 1:
		parts = append(parts, strings.Repeat("p", 1020))
	}
	return strings.Join(parts, "/")
}

func fuzzEnvName(r *rand.Rand) string {
	switch r.IntN(10) {
	case 0:
		return "WITH SPACE.and-dash"
	case 1:
		return "CAFÉ_" + fuzzLabel(r)
	case 2:
		return "A=B"
	}
	const up = "ABCDEFGHIJKLMNOPQRSTUVWXYZ_"
	b := []byte{up[r.IntN(len(up))]}
	for i, k := 0, r.IntN(16); i < k; i++ {
		b = append(b, (up + "0123456789")[r.IntN(len(up)+10)])
	}
	return string(b)
}

func fuzzImage(r *rand.Rand) string {
	switch r.IntN(8) {
	case 0:
		return "alpine:3.20;touch /tmp/pwned"
	case 1:
		return "registry.example.com:5000/team/" + fuzzLabel(r) + "@sha256:" + strings.Repeat("a", 64)
	case 2:
		return "img/" + strings.Repeat("i", 520)
	}
	return []string{"alpine:3.20", "node:22-alpine", "golang:1.26-alpine", "python:3.12-slim"}[r.IntN(4)]
}

// fuzzQuantity is mostly a sensible quantity, sometimes zero, huge or
// negative.
func fuzzQuantity(r *rand.Rand) string {
	return []string{"100m", "1", "2Gi", "512Mi", "1e3", "0.5", "0", "1Ti", "-1", "-500m", "-1Gi"}[r.IntN(11)]
}

func fuzzSource(r *rand.Rand) map[string]any {
	switch r.IntN(6) {
	case 0:
		return map[string]any{"persistentVolumeClaim": map[string]any{"claimName": fuzzSubdomain(r), "readOnly": r.IntN(2) == 0}}
	case 1:
		return map[string]any{"configMap": map[string]any{"name": fuzzSubdomain(r)}}
	case 2:
		return map[string]any{"secret": map[string]any{"secretName": fuzzSubdomain(r)}}
	case 3:
		e := map[string]any{}
		if r.IntN(2) == 0 {
			e["sizeLimit"] = fuzzQuantity(r)
		}
		return map[string]any{"emptyDir": e}
	case 4:
		return map[string]any{"csi": map[string]any{"driver": "secrets-store.csi.k8s.io", "readOnly": true}}
	}
	return map[string]any{"ephemeral": map[string]any{"volumeClaimTemplate": map[string]any{"spec": map[string]any{
		"accessModes": []any{"ReadWriteOnce"},
		"resources":   map[string]any{"requests": map[string]any{"storage": fuzzQuantity(r)}},
	}}}}
}
