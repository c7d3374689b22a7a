package presets

import (
	"fmt"
	"net/url"
	"path"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/prewarm-dev/prewarm/pkg/api/v1alpha2"
)

// ArtifactOptions are the options only the artifacts preset has: pinned
// downloads fetched once into a content-addressed store on the cache
// volume (templates-go/scripts/artifacts.sh.tpl) and shown to the agent
// through links into the read-only mount.
type ArtifactOptions struct {
	// Files are the pinned downloads (artifacts only).
	Files []ArtifactFile `json:"files,omitempty"`
	// Dir is where each file's path is placed (artifacts only); default
	// DefaultArtifactsDir. Absolute, under /workspace.
	Dir string `json:"dir,omitempty"`
	// AllowHTTP accepts http:// URLs (artifacts only); the sha256 still
	// pins the content, but headers from registrySecret travel in clear.
	AllowHTTP bool `json:"allowHTTP,omitempty"`
}

// ArtifactFile is one pinned download: its URL, the sha256 of its content,
// and either a path under Dir or a place in the Hugging Face hub layout.
type ArtifactFile struct {
	// URL to fetch; https:// unless allowHTTP.
	URL string `json:"url"`
	// SHA256 of the content: 64 lowercase hex digits, as sha256sum prints.
	SHA256 string `json:"sha256"`
	// Path relative to Dir where the agent finds the file.
	Path string `json:"path,omitempty"`
	// Hub places the file in the Hugging Face hub cache instead of Path.
	Hub *HubFile `json:"hub,omitempty"`
}

// HubFile is a file of a Hugging Face model repository at one commit:
// $HF_HOME/hub/models--<org>--<name>/snapshots/<revision>/<file>, with
// refs/main holding revision.
type HubFile struct {
	// Repo is <org>/<name>.
	Repo string `json:"repo"`
	// Revision is the full 40-hex commit.
	Revision string `json:"revision"`
	// File is the path inside the repository.
	File string `json:"file"`
}

// DefaultArtifactsDir is where artifact paths go unless dir is set; it is
// on the workspace volume, which every setup container and the agent see.
const DefaultArtifactsDir = "/workspace/artifacts"

var (
	sha256RE   = regexp.MustCompile(`^[0-9a-f]{64}$`)
	revisionRE = regexp.MustCompile(`^[0-9a-f]{40}$`)
	// hubRepoRE is <org>/<name> as the hub names repositories; "--" and
	// ".." are refused separately (the hub refuses them too).
	hubRepoRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$`)
)

// validateArtifacts checks the artifacts preset's options, and that no
// other preset sets them.
func validateArtifacts(name string, o Options, p *field.Path) field.ErrorList {
	a := o.ArtifactOptions
	var errs field.ErrorList
	if name != "artifacts" {
		for _, k := range []struct {
			key string
			set bool
		}{{"files", len(a.Files) > 0}, {"dir", a.Dir != ""}, {"allowHTTP", a.AllowHTTP}} {
			if k.set {
				errs = append(errs, field.Forbidden(p.Child(k.key), "only the artifacts preset has "+k.key))
			}
		}
		return errs
	}
	if len(o.Workdirs) > 0 {
		errs = append(errs, field.Forbidden(p.Child("workdirs"), "the artifacts preset reads no lockfile: list what to fetch in files"))
	}
	if len(o.ExtraArgs) > 0 {
		errs = append(errs, field.Forbidden(p.Child("extraArgs"), "the artifacts preset runs no install tool"))
	}
	if o.KeySalt != "" {
		errs = append(errs, field.Forbidden(p.Child("keySalt"), "artifacts are keyed by their sha256; change a file's sha256 to change it"))
	}
	if o.TokenSecretRef != nil {
		errs = append(errs, field.Forbidden(p.Child("tokenSecretRef"),
			"the artifacts preset takes auth headers from registrySecret (a Secret key holding 'Name: value' lines)"))
	}
	errs = append(errs, validateArtifactsDir(a.Dir, p.Child("dir"))...)
	if o.Enabled && len(a.Files) == 0 {
		errs = append(errs, field.Required(p.Child("files"), "at least one {url, sha256, path} (or hub instead of path)"))
	}
	paths := map[string]int{}
	var order []string
	hubFiles := map[string]bool{}
	hubRevs := map[string]string{}
	for i, f := range a.Files {
		fp := p.Child("files").Index(i)
		errs = append(errs, validateArtifactURL(f.URL, a.AllowHTTP, fp.Child("url"))...)
		switch {
		case f.SHA256 == "":
			errs = append(errs, field.Required(fp.Child("sha256"), "64 lowercase hex digits, as sha256sum prints them"))
		case !sha256RE.MatchString(f.SHA256):
			errs = append(errs, field.Invalid(fp.Child("sha256"), f.SHA256, "must be 64 lowercase hex digits, as sha256sum prints them"))
		}
		switch {
		case f.Path != "" && f.Hub != nil:
			errs = append(errs, field.Forbidden(fp.Child("hub"), "set either path or hub, not both"))
		case f.Hub != nil:
			errs = append(errs, validateHubFile(*f.Hub, fp.Child("hub"), hubFiles, hubRevs)...)
		default:
			if e := validateArtifactPath(f.Path, fp.Child("path")); len(e) > 0 {
				errs = append(errs, e...)
				continue
			}
			if _, ok := paths[f.Path]; ok {
				errs = append(errs, field.Duplicate(fp.Child("path"), f.Path))
				continue
			}
			paths[f.Path] = i
			order = append(order, f.Path)
		}
	}
	// a path that is a directory of another cannot also be a file
	for _, pth := range order {
		for _, other := range order {
			if strings.HasPrefix(other, pth+"/") {
				errs = append(errs, field.Invalid(p.Child("files").Index(paths[pth]).Child("path"), pth,
					fmt.Sprintf("is also the directory of files[%d].path %q", paths[other], other)))
			}
		}
	}
	return errs
}

func validateArtifactsDir(v string, p *field.Path) field.ErrorList {
	if v == "" {
		return nil
	}
	if errs := validateMountPath(v, p); len(errs) > 0 {
		return errs
	}
	if !strings.HasPrefix(v, v1alpha2.WorkspaceMountPath+"/") {
		return field.ErrorList{field.Invalid(p, v, "must be under /workspace/, the workspace volume the setup container writes and the agent sees (e.g. /workspace/models)")}
	}
	return nil
}

func validateArtifactURL(v string, allowHTTP bool, p *field.Path) field.ErrorList {
	if v == "" {
		return field.ErrorList{field.Required(p, "the https:// URL to fetch")}
	}
	if strings.ContainsAny(v, " \t\r\n\x00") {
		return field.ErrorList{field.Invalid(p, v, "must not contain whitespace or NUL (escape a space as %20)")}
	}
	u, err := url.Parse(v)
	if err != nil {
		return field.ErrorList{field.Invalid(p, v, "is not a URL: "+err.Error())}
	}
	switch {
	case u.Scheme == "http" && !allowHTTP:
		return field.ErrorList{field.Invalid(p, v, "must be https://; set allowHTTP: true to fetch over plain http (the sha256 still pins the content)")}
	case u.Scheme != "https" && u.Scheme != "http":
		return field.ErrorList{field.Invalid(p, v, "must be an https:// URL")}
	case u.Host == "":
		return field.ErrorList{field.Invalid(p, v, "must name a host")}
	case u.User != nil:
		return field.ErrorList{field.Invalid(p, v, "must not carry credentials (user:password@): put an Authorization header in registrySecret")}
	}
	return nil
}

// validateRelFile checks a relative file path: not empty, clean, no '..',
// no whitespace or NUL (the setup script splits its list on blanks).
func validateRelFile(v string, p *field.Path, what string) field.ErrorList {
	if v == "" {
		return field.ErrorList{field.Required(p, what)}
	}
	if errs := relFileShape.check(v, p); errs != nil {
		return errs
	}
	if path.Clean(v) != v || v == "." {
		return field.ErrorList{field.Invalid(p, v, fmt.Sprintf("must be a clean path to a file (%s)", path.Clean(v)))}
	}
	return nil
}

func validateArtifactPath(v string, p *field.Path) field.ErrorList {
	if errs := validateRelFile(v, p, "a file path relative to dir (or set hub instead)"); len(errs) > 0 {
		return errs
	}
	if strings.HasPrefix(v, "hf:") {
		return field.ErrorList{field.Invalid(p, v, "must not start with 'hf:'; set hub for the Hugging Face layout")}
	}
	return nil
}

func validateHubFile(h HubFile, p *field.Path, files map[string]bool, revs map[string]string) field.ErrorList {
	var errs field.ErrorList
	repoOK := false
	switch {
	case h.Repo == "":
		errs = append(errs, field.Required(p.Child("repo"), "<org>/<name> of a model repository"))
	case !hubRepoRE.MatchString(h.Repo) || strings.Contains(h.Repo, "--") || strings.Contains(h.Repo, ".."):
		errs = append(errs, field.Invalid(p.Child("repo"), h.Repo,
			"must be <org>/<name>: letters, digits, '-', '_' and '.', each part starting with a letter or digit, without '--' or '..'"))
	default:
		repoOK = true
	}
	switch {
	case h.Revision == "":
		errs = append(errs, field.Required(p.Child("revision"), "the full 40-hex commit (snapshots are named by commit)"))
	case !revisionRE.MatchString(h.Revision):
		errs = append(errs, field.Invalid(p.Child("revision"), h.Revision, "must be a full commit: 40 lowercase hex digits (snapshots are named by commit; a branch or tag would not pin anything)"))
	case repoOK:
		if prev, ok := revs[h.Repo]; ok && prev != h.Revision {
			errs = append(errs, field.Invalid(p.Child("revision"), h.Revision,
				fmt.Sprintf("repo %s is already pinned at %s: refs/main holds one commit, so every file of a repo needs the same revision", h.Repo, prev)))
		}
		revs[h.Repo] = h.Revision
	}
	if e := validateRelFile(h.File, p.Child("file"), "the file's path inside the repository"); len(e) > 0 {
		errs = append(errs, e...)
	} else if repoOK {
		id := h.Repo + ":" + h.File
		if files[id] {
			errs = append(errs, field.Duplicate(p.Child("file"), h.File))
		}
		files[id] = true
	}
	return errs
}
