package v1alpha2

import (
	"fmt"
	"path"
	"reflect"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// WorkspaceMountPath is where the workspace EmptyDir is mounted in every
// container; user volumes may sit below it but never replace it.
const WorkspaceMountPath = "/workspace"

// ReservedContainerNames are the init container names Kelos itself uses.
var ReservedContainerNames = []string{
	"workspace", "git-clone", "remote-setup", "branch-setup",
	"workspace-files", "plugin-setup", "skills-install", "agent",
}

// ReservedPrefix is reserved for names Kelos may add later.
const ReservedPrefix = "kelos-"

// ReservedEnvName and ReservedEnvPrefix are env names Kelos owns in the
// agent container (KELOS_AGENT_TYPE, KELOS_SETUP_COMMAND, ...). HOME is the
// agent image's: its passwd entry holds the agent's config, ~/.local/bin and
// GOPATH. spec.env reaches the agent, so it may set neither.
const (
	ReservedEnvName   = "HOME"
	ReservedEnvPrefix = "KELOS_"
)

// IsReservedEnv reports whether name is one Kelos reserves in the agent.
func IsReservedEnv(name string) bool {
	return name == ReservedEnvName || strings.HasPrefix(name, ReservedEnvPrefix)
}

// AllowedVolumeSources are the volume sources a Workspace may use. hostPath
// is accepted only with ValidationOptions.AllowHostPath.
var AllowedVolumeSources = []string{"persistentVolumeClaim", "configMap", "secret", "emptyDir", "ephemeral", "csi"}

// Limits shared with the CRD markers in workspace_types.go.
const (
	maxSetup   = 16
	maxVolumes = 16
	maxEnv     = 64
	maxFiles   = 64
	maxRemotes = 16
	// maxSetupCommand bounds Kelos' exec-form setupCommand.
	maxSetupCommand = 64
	// Bounds the CRD gets from internal/crdbounds (corev1 types carry no
	// markers); the CEL cost budget needs them.
	maxEnvNameLength   = 253
	maxResourceEntries = 16
	// String limits, the same as the CRD's MaxLength markers.
	maxRepoLength    = 2048
	maxRefLength     = 255
	maxImageLength   = 512
	maxPathLength    = 1024
	maxContentLength = 262144
	// The Workspace name becomes a label value of the Task pod.
	maxWorkspaceName = 63
)

// ValidationOptions relaxes rules for local development only.
type ValidationOptions struct {
	// AllowHostPath accepts hostPath volume sources (local clusters only;
	// the CRD and the admission policy always refuse them).
	AllowHostPath bool
}

// Validate checks the Workspace against the rules the CRD's CEL rules and
// the admission policy also enforce.
func (w *Workspace) Validate() field.ErrorList {
	return w.ValidateWith(ValidationOptions{})
}

// ValidateWith is Validate with local-development options.
func (w *Workspace) ValidateWith(o ValidationOptions) field.ErrorList {
	spec := field.NewPath("spec")
	var errs field.ErrorList
	errs = append(errs, validateWorkspaceName(w.Name, field.NewPath("metadata", "name"))...)
	errs = append(errs, validateRepo(w.Spec.Repo, spec.Child("repo"))...)
	errs = append(errs, maxLen(w.Spec.Ref, maxRefLength, spec.Child("ref"))...)
	if w.Spec.SecretRef != nil && w.Spec.SecretRef.Name == "" {
		errs = append(errs, field.Required(spec.Child("secretRef", "name"), "name of a Secret"))
	}
	errs = append(errs, validateFiles(w.Spec.Files, spec.Child("files"))...)
	errs = append(errs, validateSetup(w.Spec.Setup, spec.Child("setup"))...)
	errs = append(errs, validateVolumes(w.Spec.Volumes, spec.Child("volumes"), o)...)
	errs = append(errs, validateEnv(w.Spec.Env, spec.Child("env"))...)
	errs = append(errs, validateAgentEnv(w.Spec.Env, spec.Child("env"))...)
	errs = append(errs, validateRemotes(w.Spec.Remotes, spec.Child("remotes"))...)
	errs = append(errs, ValidateUTF8(w.Spec, spec)...)
	if w.Spec.SetupCommand != nil && len(w.Spec.SetupCommand) == 0 {
		errs = append(errs, field.Required(spec.Child("setupCommand"), "at least one element (exec form) or no setupCommand"))
	}
	if len(w.Spec.SetupCommand) > maxSetupCommand {
		errs = append(errs, field.TooMany(spec.Child("setupCommand"), len(w.Spec.SetupCommand), maxSetupCommand))
	}
	return errs
}

// validateAgentEnv refuses the env names Kelos reserves in the agent.
func validateAgentEnv(env []corev1.EnvVar, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, e := range env {
		if IsReservedEnv(e.Name) {
			errs = append(errs, field.Forbidden(p.Index(i).Child("name"), fmt.Sprintf(
				"%s is reserved by Kelos (HOME and KELOS_*): the agent keeps its image's HOME; point each tool at its cache with the tool's own variable (npm_config_cache, GOMODCACHE, ...)", e.Name)))
		}
	}
	return errs
}

func validateRemotes(remotes []GitRemote, p *field.Path) field.ErrorList {
	errs := tooMany(len(remotes), maxRemotes, p)
	seen := sets.New[string]()
	for i, r := range remotes {
		rp := p.Index(i)
		switch {
		case r.Name == "":
			errs = append(errs, field.Required(rp.Child("name"), "a git remote name"))
		case r.Name == "origin":
			errs = append(errs, field.Invalid(rp.Child("name"), r.Name, "origin is reserved for the clone source"))
		case seen.Has(r.Name):
			errs = append(errs, field.Duplicate(rp.Child("name"), r.Name))
		}
		seen.Insert(r.Name)
		errs = append(errs, maxLen(r.Name, maxRefLength, rp.Child("name"))...)
		if !hasAnyPrefix(r.URL, "https://", "http://", "git://", "git@") {
			errs = append(errs, field.Invalid(rp.Child("url"), r.URL, "must start with https://, http://, git:// or git@"))
		}
		errs = append(errs, maxLen(r.URL, maxRepoLength, rp.Child("url"))...)
	}
	return errs
}

func hasAnyPrefix(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// validateWorkspaceName allows an empty name (a file not yet applied) but
// otherwise requires a DNS subdomain short enough to be a label value.
func validateWorkspaceName(name string, p *field.Path) field.ErrorList {
	if name == "" {
		return nil
	}
	var errs field.ErrorList
	for _, msg := range validation.IsDNS1123Subdomain(name) {
		errs = append(errs, field.Invalid(p, name, msg))
	}
	if len(name) > maxWorkspaceName {
		errs = append(errs, field.TooLong(p, "", maxWorkspaceName))
	}
	return errs
}

// tooMany reports a list longer than the CRD allows.
func tooMany(n, limit int, p *field.Path) field.ErrorList {
	if n > limit {
		return field.ErrorList{field.TooMany(p, n, limit)}
	}
	return nil
}

// maxLen reports a string longer than the CRD allows.
func maxLen(v string, n int, p *field.Path) field.ErrorList {
	if len(v) > n {
		return field.ErrorList{field.TooLong(p, "", n)}
	}
	return nil
}

func validateRepo(repo string, p *field.Path) field.ErrorList {
	if len(repo) > maxRepoLength {
		return field.ErrorList{field.TooLong(p, "", maxRepoLength)}
	}
	for _, prefix := range []string{"https://", "http://", "git://", "ssh://", "git@"} {
		if strings.HasPrefix(repo, prefix) && len(repo) > len(prefix) {
			return nil
		}
	}
	if repo == "" {
		return field.ErrorList{field.Required(p, "a git URL (https://, git://, ssh:// or git@)")}
	}
	return field.ErrorList{field.Invalid(p, repo, "must start with https://, http://, git://, ssh:// or git@")}
}

func validateFiles(files []WorkspaceFile, p *field.Path) field.ErrorList {
	errs := tooMany(len(files), maxFiles, p)
	seen := sets.New[string]()
	for i, f := range files {
		fp := p.Index(i).Child("path")
		errs = append(errs, validateRelativePath(f.Path, fp, true)...)
		errs = append(errs, maxLen(f.Path, maxPathLength, fp)...)
		errs = append(errs, maxLen(f.Content, maxContentLength, p.Index(i).Child("content"))...)
		if seen.Has(f.Path) {
			errs = append(errs, field.Duplicate(fp, f.Path))
		}
		seen.Insert(f.Path)
	}
	return errs
}

// validateRelativePath refuses absolute paths and ".." components, the two
// ways a value could escape the directory it is meant for.
func validateRelativePath(v string, p *field.Path, required bool) field.ErrorList {
	switch {
	case v == "" && required:
		return field.ErrorList{field.Required(p, "a relative path")}
	case strings.HasPrefix(v, "/"):
		return field.ErrorList{field.Invalid(p, v, "must be a relative path")}
	case HasDotDot(v):
		return field.ErrorList{field.Invalid(p, v, "must not contain '..'")}
	}
	return nil
}

// HasDotDot reports whether the slash-separated path v has a ".."
// component. Presets reuse it for their path fields.
func HasDotDot(v string) bool {
	for _, part := range strings.Split(v, "/") {
		if part == ".." {
			return true
		}
	}
	return false
}

func validateSetup(setup []SetupContainer, p *field.Path) field.ErrorList {
	errs := tooMany(len(setup), maxSetup, p)
	seen := sets.New[string]()
	for i, c := range setup {
		cp := p.Index(i)
		errs = append(errs, validateName(c.Name, cp.Child("name"), seen, true)...)
		if c.Image == "" {
			errs = append(errs, field.Required(cp.Child("image"), "a container image"))
		}
		errs = append(errs, maxLen(c.Image, maxImageLength, cp.Child("image"))...)
		if c.WorkingDir != "" && !strings.HasPrefix(c.WorkingDir, "/") {
			errs = append(errs, field.Invalid(cp.Child("workingDir"), c.WorkingDir, "must be an absolute path"))
		}
		errs = append(errs, validateEnv(c.Env, cp.Child("env"))...)
		errs = append(errs, ValidateResources(c.Resources, cp.Child("resources"))...)
		switch c.TerminationMessagePolicy {
		case "", corev1.TerminationMessageReadFile, corev1.TerminationMessageFallbackToLogsOnError:
		default:
			errs = append(errs, field.NotSupported(cp.Child("terminationMessagePolicy"), c.TerminationMessagePolicy,
				[]string{string(corev1.TerminationMessageReadFile), string(corev1.TerminationMessageFallbackToLogsOnError)}))
		}
	}
	return errs
}

// validateName checks a setup or volume name: DNS-1123 label, unique, not
// reserved. Reserved container names only apply to setup entries.
func validateName(name string, p *field.Path, seen sets.Set[string], container bool) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range validation.IsDNS1123Label(name) {
		errs = append(errs, field.Invalid(p, name, msg))
	}
	switch {
	case strings.HasPrefix(name, ReservedPrefix):
		errs = append(errs, field.Invalid(p, name, "names starting with kelos- are reserved"))
	case name == "workspace" || (container && sets.New(ReservedContainerNames...).Has(name)):
		errs = append(errs, field.Invalid(p, name, fmt.Sprintf("name is reserved (reserved: %s, kelos-*)", strings.Join(ReservedContainerNames, ", "))))
	}
	if seen.Has(name) {
		errs = append(errs, field.Duplicate(p, name))
	}
	seen.Insert(name)
	return errs
}

func validateEnv(env []corev1.EnvVar, p *field.Path) field.ErrorList {
	errs := tooMany(len(env), maxEnv, p)
	seen := sets.New[string]()
	for i, e := range env {
		np := p.Index(i).Child("name")
		switch {
		case e.Name == "":
			errs = append(errs, field.Required(np, "an environment variable name"))
		case len(e.Name) > maxEnvNameLength:
			errs = append(errs, field.TooLong(np, "", maxEnvNameLength))
		case !printableASCII(e.Name):
			errs = append(errs, field.Invalid(np, e.Name, "must consist of printable ASCII characters"))
		case strings.Contains(e.Name, "="):
			errs = append(errs, field.Invalid(np, e.Name, "must not contain '='"))
		case seen.Has(e.Name):
			errs = append(errs, field.Duplicate(np, e.Name))
		}
		seen.Insert(e.Name)
	}
	return errs
}

func printableASCII(s string) bool {
	for _, r := range s {
		if r < 0x20 || r > 0x7e {
			return false
		}
	}
	return true
}

// ValidateResources checks a container's requests and limits: at most 16
// entries each, none negative, no request above its limit. Presets reuse it.
func ValidateResources(r corev1.ResourceRequirements, p *field.Path) field.ErrorList {
	errs := tooMany(len(r.Requests), maxResourceEntries, p.Child("requests"))
	errs = append(errs, tooMany(len(r.Limits), maxResourceEntries, p.Child("limits"))...)
	errs = append(errs, nonNegative(r.Requests, p.Child("requests"))...)
	errs = append(errs, nonNegative(r.Limits, p.Child("limits"))...)
	for _, n := range sortedNames(r.Requests) {
		req := r.Requests[corev1.ResourceName(n)]
		lim, ok := r.Limits[corev1.ResourceName(n)]
		if ok && req.Cmp(lim) > 0 {
			errs = append(errs, field.Invalid(p.Child("requests").Key(n), req.String(), "must not exceed resources.limits"))
		}
	}
	return errs
}

func nonNegative(list corev1.ResourceList, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, n := range sortedNames(list) {
		if q := list[corev1.ResourceName(n)]; q.Sign() < 0 {
			errs = append(errs, field.Invalid(p.Key(n), q.String(), "must be greater than or equal to 0"))
		}
	}
	return errs
}

func sortedNames(list corev1.ResourceList) []string {
	names := make([]string, 0, len(list))
	for n := range list {
		names = append(names, string(n))
	}
	sort.Strings(names)
	return names
}

func validateVolumes(vols []WorkspaceVolume, p *field.Path, o ValidationOptions) field.ErrorList {
	errs := tooMany(len(vols), maxVolumes, p)
	names, mounts := sets.New[string](), sets.New[string]()
	for i, v := range vols {
		vp := p.Index(i)
		errs = append(errs, validateName(v.Name, vp.Child("name"), names, false)...)
		errs = append(errs, validateMountPath(v.MountPath, vp.Child("mountPath"), mounts)...)
		errs = append(errs, maxLen(v.MountPath, maxPathLength, vp.Child("mountPath"))...)
		errs = append(errs, validateRelativePath(v.SubPath, vp.Child("subPath"), false)...)
		errs = append(errs, maxLen(v.SubPath, maxPathLength, vp.Child("subPath"))...)
		errs = append(errs, validateSource(v.Source, vp.Child("source"), o)...)
	}
	return errs
}

func validateMountPath(mp string, p *field.Path, seen sets.Set[string]) field.ErrorList {
	var errs field.ErrorList
	clean := path.Clean(mp)
	switch {
	case mp == "":
		errs = append(errs, field.Required(p, "an absolute path"))
	case !strings.HasPrefix(mp, "/"):
		errs = append(errs, field.Invalid(p, mp, "must be an absolute path"))
	case clean == WorkspaceMountPath:
		errs = append(errs, field.Invalid(p, mp, "must not be /workspace, which holds the workspace volume"))
	case HasDotDot(mp):
		errs = append(errs, field.Invalid(p, mp, "must not contain '..'"))
	case clean == "/":
		errs = append(errs, field.Invalid(p, mp, "must not be /"))
	}
	if mp != "" && seen.Has(mp) {
		errs = append(errs, field.Duplicate(p, mp))
	}
	seen.Insert(mp)
	return errs
}

// setSources lists the json names of the volume sources that are set.
func setSources(src corev1.VolumeSource) []string {
	var set []string
	v := reflect.ValueOf(src)
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		if !v.Field(i).IsNil() {
			set = append(set, strings.Split(t.Field(i).Tag.Get("json"), ",")[0])
		}
	}
	return set
}

func validateSource(src corev1.VolumeSource, p *field.Path, o ValidationOptions) field.ErrorList {
	set := setSources(src)
	if len(set) != 1 {
		return field.ErrorList{field.Invalid(p, strings.Join(set, ","),
			fmt.Sprintf("must set exactly one volume source (allowed: %s)", strings.Join(AllowedVolumeSources, ", ")))}
	}
	name := set[0]
	switch {
	case name == "hostPath" && o.AllowHostPath:
		return nil
	case name == "hostPath":
		return field.ErrorList{field.Forbidden(p.Child(name), "hostPath is not allowed; use --allow-host-path for local development only")}
	case !sets.New(AllowedVolumeSources...).Has(name):
		return field.ErrorList{field.Forbidden(p.Child(name), fmt.Sprintf("volume source %s is not allowed (allowed: %s)", name, strings.Join(AllowedVolumeSources, ", ")))}
	}
	return validateSourceFields(src, p)
}

// validateSourceFields checks the names a source refers to; the pod would be
// rejected without them, so the CRD refuses them too.
func validateSourceFields(src corev1.VolumeSource, p *field.Path) field.ErrorList {
	missing := func(child ...string) field.ErrorList {
		return field.ErrorList{field.Required(p.Child(child[0], child[1:]...), "must name what it mounts")}
	}
	switch {
	case src.PersistentVolumeClaim != nil && src.PersistentVolumeClaim.ClaimName == "":
		return missing("persistentVolumeClaim", "claimName")
	case src.ConfigMap != nil && src.ConfigMap.Name == "":
		return missing("configMap", "name")
	case src.Secret != nil && src.Secret.SecretName == "":
		return missing("secret", "secretName")
	case src.CSI != nil && src.CSI.Driver == "":
		return missing("csi", "driver")
	case src.Ephemeral != nil && src.Ephemeral.VolumeClaimTemplate == nil:
		return missing("ephemeral", "volumeClaimTemplate")
	case src.EmptyDir != nil && src.EmptyDir.SizeLimit != nil && src.EmptyDir.SizeLimit.Sign() < 0:
		return field.ErrorList{field.Invalid(p.Child("emptyDir", "sizeLimit"), src.EmptyDir.SizeLimit.String(), "must be greater than or equal to 0")}
	}
	return nil
}
