// Package presets renders the ecosystem presets (npm, pip, gomod, cargo,
// maven, gradle) into Workspace setup containers, cache volumes and env.
//
// The presets themselves are the define blocks "prewarm.preset.<name>" in
// templates-go/presets; the charts render the same blocks. This package
// builds their input from typed Options, validates it with field paths,
// executes the templates and decodes the result strictly.
package presets

import (
	"errors"
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	templatesgo "github.com/prewarm-dev/prewarm/templates-go"
)

// names is the fixed order presets are rendered in: templates-go's
// "prewarm.preset.names", the one list the charts read too.
var names = func() []string {
	var list struct {
		Items []string `json:"items"`
	}
	if err := templatesgo.ExecuteJSON("prewarm.preset.names", map[string]any{}, &list); err != nil {
		panic(fmt.Sprintf("templates-go prewarm.preset.names: %v", err))
	}
	return list.Items
}()

// UnknownError is the error for preset names that are not presets, listing
// the known ones (templates-go "prewarm.preset.unknown", the message the
// charts print too).
func UnknownError(unknown ...string) error {
	quoted := make([]string, len(unknown))
	for i, n := range unknown {
		quoted[i] = fmt.Sprintf("%q", n)
	}
	sort.Strings(quoted)
	msg, err := templatesgo.Execute("prewarm.preset.unknown", map[string]any{"names": quoted})
	if err != nil {
		return fmt.Errorf("templates-go prewarm.preset.unknown: %w", err)
	}
	return errors.New(msg)
}

// checkKnown returns UnknownError for the keys of m that are not presets.
func checkKnown[V any](m map[string]V) error {
	var unknown []string
	for name := range m {
		if !Known(name) {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	return UnknownError(unknown...)
}

// Names returns the preset names in render order.
func Names() []string { return append([]string(nil), names...) }

// Known reports whether name is a preset.
func Known(name string) bool {
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}

// Options are the values of presets.<name> in the prewarm-workspace chart;
// the JSON names are the values keys.
type Options struct {
	// Enabled adds the preset to the Workspace.
	Enabled bool `json:"enabled,omitempty"`
	// Workdirs are directories relative to the repository root that hold a
	// lockfile; default ["."].
	Workdirs []string `json:"workdirs,omitempty"`
	// Image of the setup container; defaults per preset.
	Image *Image `json:"image,omitempty"`
	// ExtraArgs reach the install tool literally (as "$@").
	ExtraArgs []string `json:"extraArgs,omitempty"`
	// Cache is the shared cache volume.
	Cache *Cache `json:"cache,omitempty"`
	// Snapshots keeps install snapshots on the cache: npm and pip (unset:
	// true). gomod: true gives per-pod module and build caches restored
	// from snapshots (for a cache on a network volume), false the caches
	// on the volume; unset is auto: the setup picks the snapshot shape when
	// the cache is on a network file system, else links the agent's
	// per-pod GOMODCACHE/GOCACHE to the caches on the volume.
	Snapshots *bool `json:"snapshots,omitempty"`
	// KeySalt is mixed into the cache key; change it to invalidate.
	KeySalt string `json:"keySalt,omitempty"`
	// Prebuild warms the Go build cache: build (default), test or none.
	Prebuild string `json:"prebuild,omitempty"`
	// Goals are the Maven goals, phases and flags the setup runs (maven);
	// default [-DskipTests, test-compile].
	Goals []string `json:"goals,omitempty"`
	// Tasks replace the default dependency resolution run (gradle); empty
	// means resolve every configuration (help --dry-run with verification).
	Tasks []string `json:"tasks,omitempty"`
	// RegistrySecret mounts a registry config file from a Secret.
	RegistrySecret *RegistrySecret `json:"registrySecret,omitempty"`
	// TokenSecretRef sets one env var from a Secret key.
	TokenSecretRef *TokenSecretRef `json:"tokenSecretRef,omitempty"`
	// Resources of the setup container.
	Resources *corev1.ResourceRequirements `json:"resources,omitempty"`
	// TrustedWriter allows cache.mode readWrite for cargo, maven and gradle;
	// only the single cache writer (the chart's warmer job) sets it.
	TrustedWriter bool `json:"trustedWriter,omitempty"`
	// ArtifactOptions are the artifacts preset's own (artifacts.go).
	ArtifactOptions `json:",inline"`
}

// Image is a container image reference split in parts.
type Image struct {
	Repository string `json:"repository,omitempty"`
	Tag        string `json:"tag,omitempty"`
	Digest     string `json:"digest,omitempty"`
}

// Cache describes the cache volume of a preset.
type Cache struct {
	// ClaimName of the PersistentVolumeClaim; default prewarm-cache-<name>.
	ClaimName string `json:"claimName,omitempty"`
	// SubPath within the claim, so one claim serves several presets.
	SubPath string `json:"subPath,omitempty"`
	// MountPath of the cache; default /cache/<name>.
	MountPath string `json:"mountPath,omitempty"`
	// Mode is readWrite or readOnly; the default depends on the preset.
	Mode string `json:"mode,omitempty"`
}

// RegistrySecret mounts one key of a Secret as the tool's registry config.
type RegistrySecret struct {
	Name string `json:"name"`
	// Key (and file name); default per preset (.npmrc, pip.conf, .netrc,
	// credentials.toml, settings.xml, gradle.properties).
	Key string `json:"key,omitempty"`
	// MountPath of the directory; default /etc/prewarm/<name>.
	MountPath string `json:"mountPath,omitempty"`
}

// TokenSecretRef sets environment variable Env from Secret Name, key Key.
type TokenSecretRef struct {
	Name string `json:"name"`
	Key  string `json:"key"`
	Env  string `json:"env"`
}

// DecodeOptions reads one preset's options from YAML or JSON; unknown
// fields and duplicate keys are errors.
func DecodeOptions(data []byte) (Options, error) {
	var o Options
	if err := yaml.UnmarshalStrict(data, &o); err != nil {
		return Options{}, fmt.Errorf("decode preset options: %w", err)
	}
	return o, nil
}

// DecodeMap reads a presets map (name -> options) from YAML or JSON;
// unknown fields, duplicate keys and unknown preset names are errors.
func DecodeMap(data []byte) (map[string]Options, error) {
	var m map[string]Options
	if err := yaml.UnmarshalStrict(data, &m); err != nil {
		return nil, fmt.Errorf("decode presets: %w", err)
	}
	if err := checkKnown(m); err != nil {
		return nil, err
	}
	return m, nil
}
