package presets

import (
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/prewarm-dev/prewarm/pkg/api/v1alpha2"
	templatesgo "github.com/prewarm-dev/prewarm/templates-go"
)

var (
	// repositoryRE is an image name without tag or digest: an optional
	// registry host[:port] and lowercase path components.
	repositoryRE = regexp.MustCompile(`^(?:(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$`)
	tagRE        = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	digestRE     = regexp.MustCompile(`^sha256:[a-f0-9]{64}$`)
	// goalRE is one Maven goal, phase or -D/-P flag; the script splits the
	// goals on spaces, so no whitespace, quotes or glob characters.
	goalRE = regexp.MustCompile(`^[A-Za-z0-9_.:=,/@+-]+$`)
	envRE  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

var prebuilds = []string{"build", "test", "none"}

// Validate checks o as the options of preset name at path p (for example
// presets.npm). Every message names the field and what it allows.
func (o Options) Validate(name string, p *field.Path) field.ErrorList {
	if !Known(name) {
		return field.ErrorList{field.NotSupported(p, name, names)}
	}
	d, err := DefaultsFor(name)
	if err != nil {
		return field.ErrorList{field.InternalError(p, err)}
	}
	var errs field.ErrorList
	errs = append(errs, ValidateWorkdirs(o.Workdirs, p.Child("workdirs"))...)
	errs = append(errs, validateImage(o.Image, p.Child("image"))...)
	for i, a := range o.ExtraArgs {
		if strings.ContainsRune(a, 0) {
			errs = append(errs, field.Invalid(p.Child("extraArgs").Index(i), a, "must not contain NUL"))
		}
	}
	errs = append(errs, validateCache(name, o, d, p)...)
	errs = append(errs, validateOnly(name, o, p)...)
	errs = append(errs, validateText(o.KeySalt, p.Child("keySalt"))...)
	errs = append(errs, validateSecrets(o, d, p)...)
	errs = append(errs, validateArtifacts(name, o, p)...)
	if o.Resources != nil {
		errs = append(errs, v1alpha2.ValidateResources(*o.Resources, p.Child("resources"))...)
	}
	return errs
}

// ValidateMap checks a presets map: known names, then each preset's options.
func ValidateMap(m map[string]Options, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, k := range slices.Sorted(maps.Keys(m)) {
		errs = append(errs, m[k].Validate(k, p.Child(k))...)
	}
	return errs
}

// ValidateWorkdirs checks workdirs: relative, clean, unique, no '..',
// newline, NUL or leading '-'.
func ValidateWorkdirs(dirs []string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := map[string]bool{}
	for i, d := range dirs {
		ip := p.Index(i)
		switch {
		case d == "":
			errs = append(errs, field.Required(ip, "a directory relative to the repository root, \".\" for the root"))
		case strings.ContainsAny(d, "\n\x00"):
			errs = append(errs, field.Invalid(ip, d, "must not contain a newline or NUL"))
		case strings.HasPrefix(d, "/"):
			errs = append(errs, field.Invalid(ip, d, "must be relative to the repository root"))
		case strings.HasPrefix(d, "-"):
			errs = append(errs, field.Invalid(ip, d, "must not start with '-' (use ./"+d+")"))
		case v1alpha2.HasDotDot(d):
			errs = append(errs, field.Invalid(ip, d, "must not contain '..'"))
		case path.Clean(d) != d:
			errs = append(errs, field.Invalid(ip, d, fmt.Sprintf("must be a clean path (%s)", path.Clean(d))))
		case seen[d]:
			errs = append(errs, field.Duplicate(ip, d))
		}
		seen[d] = true
	}
	return errs
}

// pathShape is what a path field allows, tried in this order: none of the
// characters refuse (refuseMsg), absolute or relative as the field wants
// (placeMsg), no ".." component. Each field's messages name its own terms.
type pathShape struct {
	refuse, refuseMsg string
	absolute          bool
	placeMsg          string
}

var (
	subPathShape   = pathShape{"\n\x00", "must not contain a newline or NUL", false, "must be a relative path within the claim"}
	mountPathShape = pathShape{"\n\x00:", "must not contain a newline, NUL or ':'", true, "must be an absolute path"}
	// relFileShape: the setup script splits its file lists on blanks.
	relFileShape = pathShape{" \t\r\n\x00", "must not contain whitespace or NUL", false, "must be a relative path"}
)

// check returns the first rule of s that v breaks.
func (s pathShape) check(v string, p *field.Path) field.ErrorList {
	switch {
	case strings.ContainsAny(v, s.refuse):
		return field.ErrorList{field.Invalid(p, v, s.refuseMsg)}
	case strings.HasPrefix(v, "/") != s.absolute:
		return field.ErrorList{field.Invalid(p, v, s.placeMsg)}
	case v1alpha2.HasDotDot(v):
		return field.ErrorList{field.Invalid(p, v, "must not contain '..'")}
	}
	return nil
}

func validateImage(img *Image, p *field.Path) field.ErrorList {
	if img == nil {
		return nil
	}
	var errs field.ErrorList
	if img.Repository != "" && !repositoryRE.MatchString(img.Repository) {
		errs = append(errs, field.Invalid(p.Child("repository"), img.Repository,
			"must be an image name without tag or digest, e.g. node or registry.example.com:5000/team/node"))
	}
	if img.Tag != "" && !tagRE.MatchString(img.Tag) {
		errs = append(errs, field.Invalid(p.Child("tag"), img.Tag,
			"must be an image tag: letters, digits, '_', '.', '-', not starting with '.' or '-', at most 128 characters"))
	}
	if img.Digest != "" && !digestRE.MatchString(img.Digest) {
		errs = append(errs, field.Invalid(p.Child("digest"), img.Digest, "must be sha256: followed by 64 lowercase hex digits"))
	}
	return errs
}

// validateCache checks cache.* and the single-writer rule.
func validateCache(name string, o Options, d Defaults, p *field.Path) field.ErrorList {
	c := o.Cache
	if c == nil {
		c = &Cache{}
	}
	cp := p.Child("cache")
	var errs field.ErrorList
	if c.ClaimName != "" {
		for _, msg := range validation.IsDNS1123Subdomain(c.ClaimName) {
			errs = append(errs, field.Invalid(cp.Child("claimName"), c.ClaimName, msg))
		}
	}
	errs = append(errs, validateSubPath(c.SubPath, cp.Child("subPath"))...)
	errs = append(errs, validateMountPath(c.MountPath, cp.Child("mountPath"))...)
	var rule struct {
		Rule      string   `json:"rule"`
		Mode      string   `json:"mode"`
		Supported []string `json:"supported"`
		Detail    string   `json:"detail"`
	}
	in := map[string]any{"eco": name, "mode": c.Mode, "trustedWriter": o.TrustedWriter}
	if err := templatesgo.ExecuteJSON("prewarm.preset.modeRule", in, &rule); err != nil {
		return append(errs, field.InternalError(cp.Child("mode"), err))
	}
	switch rule.Rule {
	case "notSupported":
		errs = append(errs, field.NotSupported(cp.Child("mode"), c.Mode, rule.Supported))
	case "forbidden":
		errs = append(errs, field.Forbidden(cp.Child("mode"), rule.Detail))
	}
	return errs
}

func validateSubPath(v string, p *field.Path) field.ErrorList {
	if v == "" {
		return nil
	}
	return subPathShape.check(v, p)
}

// validateMountPath checks an optional mount path: absolute, clean, not
// the workspace volume's /workspace and not the root.
func validateMountPath(v string, p *field.Path) field.ErrorList {
	if v == "" {
		return nil
	}
	if errs := mountPathShape.check(v, p); errs != nil {
		return errs
	}
	switch {
	case path.Clean(v) != v:
		return field.ErrorList{field.Invalid(p, v, fmt.Sprintf("must be a clean path (%s)", path.Clean(v)))}
	case v == "/":
		return field.ErrorList{field.Invalid(p, v, "must not be /")}
	case v == v1alpha2.WorkspaceMountPath:
		return field.ErrorList{field.Invalid(p, v, "must not be /workspace, which holds the workspace volume")}
	}
	return nil
}

// validateOnly refuses options that belong to another preset.
func validateOnly(name string, o Options, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if o.Snapshots != nil && name != "npm" && name != "pip" && name != "gomod" {
		errs = append(errs, field.Forbidden(p.Child("snapshots"), "only the npm, pip and gomod presets keep install snapshots"))
	}
	switch {
	case o.Prebuild != "" && name != "gomod":
		errs = append(errs, field.Forbidden(p.Child("prebuild"), "only the gomod preset has prebuild"))
	case o.Prebuild != "" && !slices.Contains(prebuilds, o.Prebuild):
		errs = append(errs, field.NotSupported(p.Child("prebuild"), o.Prebuild, prebuilds))
	}
	if len(o.Goals) > 0 && name != "maven" {
		errs = append(errs, field.Forbidden(p.Child("goals"), "only the maven preset has goals"))
	}
	if len(o.Tasks) > 0 && name != "gradle" {
		errs = append(errs, field.Forbidden(p.Child("tasks"), "only the gradle preset has tasks"))
	}
	errs = append(errs, validateWords(o.Goals, p.Child("goals"), "Maven goal, phase or flag")...)
	errs = append(errs, validateWords(o.Tasks, p.Child("tasks"), "Gradle task or flag")...)
	return errs
}

// validateWords checks goals or tasks, which the script splits on blanks.
func validateWords(words []string, p *field.Path, what string) field.ErrorList {
	var errs field.ErrorList
	for i, w := range words {
		if !goalRE.MatchString(w) {
			errs = append(errs, field.Invalid(p.Index(i), w,
				"must be one "+what+": letters, digits and _ . : = , / @ + - (no spaces, quotes or globs)"))
		}
	}
	return errs
}

func validateText(v string, p *field.Path) field.ErrorList {
	if strings.ContainsAny(v, "\n\x00") {
		return field.ErrorList{field.Invalid(p, v, "must not contain a newline or NUL")}
	}
	return nil
}

// validateSecrets checks registrySecret and tokenSecretRef.
func validateSecrets(o Options, d Defaults, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if s := o.RegistrySecret; s != nil {
		sp := p.Child("registrySecret")
		errs = append(errs, validateSecretName(s.Name, sp.Child("name"))...)
		errs = append(errs, validateSecretKey(s.Key, sp.Child("key"), false)...)
		errs = append(errs, validateMountPath(s.MountPath, sp.Child("mountPath"))...)
		if mp := secretMountPath(s, d); mp == cacheMountPath(o.Cache, d) {
			errs = append(errs, field.Invalid(sp.Child("mountPath"), mp, "must differ from cache.mountPath"))
		}
	}
	if t := o.TokenSecretRef; t != nil {
		tp := p.Child("tokenSecretRef")
		errs = append(errs, validateSecretName(t.Name, tp.Child("name"))...)
		errs = append(errs, validateSecretKey(t.Key, tp.Child("key"), true)...)
		switch {
		case t.Env == "":
			errs = append(errs, field.Required(tp.Child("env"), "the environment variable that receives the token"))
		case !envRE.MatchString(t.Env):
			errs = append(errs, field.Invalid(tp.Child("env"), t.Env, "must be an environment variable name: letters, digits and '_', not starting with a digit"))
		case strings.HasPrefix(t.Env, "PREWARM_") || t.Env == "HOME" || t.Env == "PATH":
			errs = append(errs, field.Invalid(tp.Child("env"), t.Env, "must not be HOME, PATH or PREWARM_*, which prewarm sets"))
		case v1alpha2.IsReservedEnv(t.Env):
			errs = append(errs, field.Invalid(tp.Child("env"), t.Env, "must not be KELOS_*, which Kelos reserves"))
		}
	}
	return errs
}

func validateSecretName(v string, p *field.Path) field.ErrorList {
	if v == "" {
		return field.ErrorList{field.Required(p, "the name of a Secret in the Workspace's namespace")}
	}
	var errs field.ErrorList
	for _, msg := range validation.IsDNS1123Subdomain(v) {
		errs = append(errs, field.Invalid(p, v, msg))
	}
	return errs
}

func validateSecretKey(v string, p *field.Path, required bool) field.ErrorList {
	if v == "" {
		if required {
			return field.ErrorList{field.Required(p, "a key of the Secret")}
		}
		return nil
	}
	var errs field.ErrorList
	for _, msg := range validation.IsConfigMapKey(v) {
		errs = append(errs, field.Invalid(p, v, msg))
	}
	return errs
}

// cacheMountPath is the effective cache.mountPath (the template's default
// when unset).
func cacheMountPath(c *Cache, d Defaults) string {
	if c != nil && c.MountPath != "" {
		return c.MountPath
	}
	return d.MountPath
}

// secretMountPath is the effective registrySecret.mountPath.
func secretMountPath(s *RegistrySecret, d Defaults) string {
	if s.MountPath != "" {
		return s.MountPath
	}
	return d.SecretMountPath
}
