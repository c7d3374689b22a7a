package offline

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// DebianCrates is where Debian's librust-*-dev packages put their crate
// sources (<name>-<version>/), the cratesDir of BuildCargoRegistry.
const DebianCrates = "/usr/share/cargo/registry"

// CargoCrates are the crates tests/scripts/testdata/cargo/{hello,tool}
// use; each comes from a librust-<name>-dev package.
var CargoCrates = []string{"itoa", "ryu", "cfg-if", "fnv", "either", "scopeguard", "static_assertions"}

// BuildCargoRegistry writes a sparse registry under root (index/<path> and
// crates/<name>/<version>/download) from the Debian crate sources in
// cratesDir, running cargo with env (for `cargo metadata`), and returns
// name -> version. Each crate is packed deterministically (sorted entries,
// fixed mtime and modes, no gzip name or time), so the same Debian package
// always gives the same checksum.
func BuildCargoRegistry(cratesDir, cargo, root string, env []string) (map[string]string, error) {
	crates := map[string]string{}
	for _, name := range CargoCrates {
		matches, _ := filepath.Glob(filepath.Join(cratesDir, name+"-[0-9]*"))
		if len(matches) != 1 {
			return nil, fmt.Errorf("want exactly one %s/%s-<version> (librust-%s-dev), found %v; run tests/scripts/testdata/build-offline-fixtures.sh as root", cratesDir, name, strings.ReplaceAll(name, "_", "-"), matches)
		}
		dir := matches[0]
		version := strings.TrimPrefix(filepath.Base(dir), name+"-")
		data, err := PackCrate(dir, name+"-"+version)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(data)
		entry, err := IndexEntry(cargo, dir, root, hex.EncodeToString(sum[:]), env)
		if err != nil {
			return nil, err
		}
		for _, f := range []struct {
			path string
			data []byte
		}{
			{filepath.Join(root, "crates", name, version, "download"), data},
			{filepath.Join(root, "index", IndexPath(name)), append(entry, '\n')},
		} {
			if err := os.MkdirAll(filepath.Dir(f.path), 0o755); err != nil {
				return nil, err
			}
			if err := os.WriteFile(f.path, f.data, 0o644); err != nil {
				return nil, err
			}
		}
		crates[name] = version
	}
	return crates, nil
}

// IndexPath is the sparse index path of a crate name.
func IndexPath(name string) string {
	n := strings.ToLower(name)
	switch len(n) {
	case 1:
		return "1/" + n
	case 2:
		return "2/" + n
	case 3:
		return "3/" + n[:1] + "/" + n
	}
	return n[:2] + "/" + n[2:4] + "/" + n
}

// PackCrate packs the regular files of dir under prefix/ as a .crate
// (tar.gz), leaving out Debian's checksum file (it describes the crates.io
// archive, not ours) and debian/.
func PackCrate(dir, prefix string) ([]byte, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == ".cargo-checksum.json" || rel == "debian" {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() {
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var buf bytes.Buffer
	gz, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	tw := tar.NewWriter(gz)
	mtime := time.Unix(1700000000, 0)
	for _, rel := range files {
		data, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			return nil, err
		}
		hdr := &tar.Header{Name: prefix + "/" + filepath.ToSlash(rel), Mode: 0o644, Size: int64(len(data)), ModTime: mtime, Typeflag: tar.TypeReg, Format: tar.FormatUSTAR}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// cargoMetadata is the part of `cargo metadata --no-deps` an index entry
// needs.
type cargoMetadata struct {
	Packages []struct {
		Name         string              `json:"name"`
		Version      string              `json:"version"`
		Features     map[string][]string `json:"features"`
		Links        *string             `json:"links"`
		RustVersion  *string             `json:"rust_version"`
		Dependencies []struct {
			Name                string   `json:"name"`
			Req                 string   `json:"req"`
			Kind                *string  `json:"kind"`
			Rename              *string  `json:"rename"`
			Optional            bool     `json:"optional"`
			UsesDefaultFeatures bool     `json:"uses_default_features"`
			Features            []string `json:"features"`
			Target              *string  `json:"target"`
		} `json:"dependencies"`
	} `json:"packages"`
}

// indexDep is one dependency of an index entry.
type indexDep struct {
	Name            string   `json:"name"`
	Req             string   `json:"req"`
	Features        []string `json:"features"`
	Optional        bool     `json:"optional"`
	DefaultFeatures bool     `json:"default_features"`
	Target          *string  `json:"target"`
	Kind            string   `json:"kind"`
	Registry        *string  `json:"registry"`
	Package         *string  `json:"package,omitempty"`
}

// IndexEntry builds the index line of the crate in dir from
// `cargo metadata --no-deps` (cargo parses the manifest; no TOML here),
// with a throwaway CARGO_HOME and HOME under scratch.
func IndexEntry(cargo, dir, scratch, cksum string, env []string) ([]byte, error) {
	cmd := exec.Command(cargo, "metadata", "--offline", "--no-deps", "--format-version", "1", "--manifest-path", filepath.Join(dir, "Cargo.toml"))
	cmd.Env = append(append([]string{}, env...), "CARGO_HOME="+filepath.Join(scratch, ".cargo-home"), "HOME="+scratch)
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		stderr := ""
		if errors.As(err, &ee) {
			stderr = string(ee.Stderr)
		}
		return nil, fmt.Errorf("cargo metadata %s: %v %s", dir, err, stderr)
	}
	var meta cargoMetadata
	if err := json.Unmarshal(out, &meta); err != nil || len(meta.Packages) != 1 {
		return nil, fmt.Errorf("cargo metadata %s: unexpected output (%v)", dir, err)
	}
	p := meta.Packages[0]
	deps := []indexDep{}
	for _, d := range p.Dependencies {
		x := indexDep{Name: d.Name, Req: d.Req, Features: d.Features, Optional: d.Optional, DefaultFeatures: d.UsesDefaultFeatures, Target: d.Target, Kind: "normal"}
		if x.Features == nil {
			x.Features = []string{}
		}
		if d.Kind != nil {
			x.Kind = *d.Kind
		}
		if d.Rename != nil {
			real := d.Name
			x.Name, x.Package = *d.Rename, &real
		}
		deps = append(deps, x)
	}
	features, features2 := splitFeatures(p.Features)
	entry := map[string]any{
		"name": p.Name, "vers": p.Version, "deps": deps, "cksum": cksum,
		"features": features, "yanked": false, "links": p.Links,
	}
	if len(features2) > 0 {
		entry["features2"] = features2
		entry["v"] = 2
	}
	if p.RustVersion != nil {
		entry["rust_version"] = *p.RustVersion
	}
	return json.Marshal(entry)
}

// splitFeatures puts the features using "dep:" or "?/" into features2
// (index format v2), the rest into features.
func splitFeatures(all map[string][]string) (features, features2 map[string][]string) {
	features, features2 = map[string][]string{}, map[string][]string{}
	for k, v := range all {
		v2 := false
		for _, f := range v {
			if strings.HasPrefix(f, "dep:") || strings.Contains(f, "?/") {
				v2 = true
			}
		}
		if v2 {
			features2[k] = v
		} else {
			features[k] = v
		}
	}
	return features, features2
}

// CargoHandler serves the registry under root; config.json names the
// address the request came to.
func CargoHandler(root string) http.Handler {
	files := http.FileServer(http.Dir(root))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/index/config.json" {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, CargoIndexConfig("http://"+r.Host))
			return
		}
		files.ServeHTTP(w, r)
	})
}

// CargoIndexConfig is the index's config.json for a registry whose
// crates BuildCargoRegistry laid out under base (an http URL): cargo
// downloads <base>/crates/<name>/<version>/download.
func CargoIndexConfig(base string) string {
	return fmt.Sprintf(`{"dl":"%s/crates/{crate}/{version}/download","api":null}`, base)
}

// CargoConfig is a .cargo/config.toml replacing crates.io with the sparse
// registry at url (as a private mirror would), without retries.
func CargoConfig(url string) string {
	return CargoSourceConfig("sparse+" + url + "/index/")
}

// CargoSourceConfig is a .cargo/config.toml replacing crates.io with the
// registry whose index is at index: a sparse+http URL, or a git URL (a
// git index: its repository holds config.json and the index files, for
// cargo older than 1.68, which has no sparse registries), without retries.
func CargoSourceConfig(index string) string {
	return fmt.Sprintf("[source.crates-io]\nreplace-with = \"prewarm-fixture\"\n\n[source.prewarm-fixture]\nregistry = \"%s\"\n\n[net]\nretry = 0\n", index)
}
