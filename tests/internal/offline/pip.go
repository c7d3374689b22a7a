package offline

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Wheel is one packed wheel.
type Wheel struct {
	Project string // normalized project name, e.g. pwdemo-alpha
	File    string
	Data    []byte
	SHA256  string
}

// MakeWheel packs srcDir/<pkg>/__init__.py into a py3-none-any wheel with
// the METADATA, WHEEL and RECORD files pip checks (fixed times, so the same
// source gives the same bytes).
func MakeWheel(srcDir, pkg, version string, requires ...string) (Wheel, error) {
	dist := pkg + "-" + version
	files := map[string][]byte{}
	src, err := os.ReadFile(filepath.Join(srcDir, pkg, "__init__.py"))
	if err != nil {
		return Wheel{}, err
	}
	files[pkg+"/__init__.py"] = src
	meta := "Metadata-Version: 2.1\nName: " + strings.ReplaceAll(pkg, "_", "-") + "\nVersion: " + version + "\n"
	for _, r := range requires {
		meta += "Requires-Dist: " + r + "\n"
	}
	files[dist+".dist-info/METADATA"] = []byte(meta)
	files[dist+".dist-info/WHEEL"] = []byte("Wheel-Version: 1.0\nGenerator: prewarm-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
	var record strings.Builder
	names := []string{pkg + "/__init__.py", dist + ".dist-info/METADATA", dist + ".dist-info/WHEEL"}
	for _, n := range names {
		sum := sha256.Sum256(files[n])
		fmt.Fprintf(&record, "%s,sha256=%s,%d\n", n, base64.RawURLEncoding.EncodeToString(sum[:]), len(files[n]))
	}
	record.WriteString(dist + ".dist-info/RECORD,,\n")
	names = append(names, dist+".dist-info/RECORD")
	files[dist+".dist-info/RECORD"] = []byte(record.String())
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range names {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: n, Method: zip.Deflate, Modified: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			return Wheel{}, err
		}
		if _, err := w.Write(files[n]); err != nil {
			return Wheel{}, err
		}
	}
	if err := zw.Close(); err != nil {
		return Wheel{}, err
	}
	sum := sha256.Sum256(buf.Bytes())
	return Wheel{Project: strings.ReplaceAll(pkg, "_", "-"), File: dist + "-py3-none-any.whl", Data: buf.Bytes(), SHA256: hex.EncodeToString(sum[:])}, nil
}

// DemoWheels are the two wheels of tests/scripts/testdata/pip:
// pwdemo-alpha 1.0, which requires pwdemo-beta 1.0.
func DemoWheels() ([]Wheel, error) {
	src := filepath.Join(ScriptsTestdata(), "pip")
	alpha, err := MakeWheel(src, "pwdemo_alpha", "1.0", "pwdemo-beta (==1.0)")
	if err != nil {
		return nil, err
	}
	beta, err := MakeWheel(src, "pwdemo_beta", "1.0")
	if err != nil {
		return nil, err
	}
	return []Wheel{alpha, beta}, nil
}

// PipIndex serves wheels as a PEP 503 simple index under /simple/ and the
// files under /files/; downloaded (if not nil) is called for every wheel
// served.
func PipIndex(wheels []Wheel, downloaded func()) http.Handler {
	byProject := map[string]Wheel{}
	for _, w := range wheels {
		byProject[w.Project] = w
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/simple/", func(w http.ResponseWriter, r *http.Request) {
		name := strings.Trim(strings.TrimPrefix(r.URL.Path, "/simple/"), "/")
		w.Header().Set("Content-Type", "text/html")
		if name == "" {
			fmt.Fprint(w, "<!DOCTYPE html><html><body>")
			for p := range byProject {
				fmt.Fprintf(w, `<a href="/simple/%s/">%s</a>`, p, p)
			}
			fmt.Fprint(w, "</body></html>")
			return
		}
		wh, ok := byProject[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintf(w, `<!DOCTYPE html><html><body><a href="/files/%s#sha256=%s">%s</a></body></html>`, wh.File, wh.SHA256, wh.File)
	})
	mux.HandleFunc("/files/", func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/files/")
		for _, wh := range wheels {
			if wh.File == name {
				if downloaded != nil {
					downloaded()
				}
				w.Header().Set("Cache-Control", "max-age=31536000, immutable")
				w.Header().Set("Content-Type", "application/octet-stream")
				_, _ = w.Write(wh.Data)
				return
			}
		}
		http.NotFound(w, r)
	})
	return mux
}
