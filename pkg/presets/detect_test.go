package presets

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// detected is the values fragment Detect's result goes into.
type detected struct {
	Presets map[string]Options `json:"presets"`
}

// TestDetect walks testdata/detect/<case>/ and compares the presets found
// with <case>.golden.yaml (rewrite with -update).
func TestDetect(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("testdata", "detect", "*"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, dir := range dirs {
		if info, err := os.Stat(dir); err != nil || !info.IsDir() {
			continue
		}
		n++
		t.Run(filepath.Base(dir), func(t *testing.T) {
			got, err := Detect(dir)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, dir+".golden.yaml", detected{got})
			again, err := Detect(dir)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, dir+".golden.yaml", detected{again})
			if errs := ValidateMap(got, nil); len(errs) > 0 {
				t.Errorf("detected options do not validate: %v", errs.ToAggregate())
			}
		})
	}
	if n == 0 {
		t.Fatal("no cases in testdata/detect")
	}
}

func TestDetectErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	if _, err := Detect(missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("Detect(missing) = %v, want an error naming %s", err, missing)
	}
	file := filepath.Join(t.TempDir(), "go.mod")
	if err := os.WriteFile(file, []byte("module x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Detect(file); err == nil || !strings.Contains(err.Error(), file+" is not a directory") {
		t.Errorf("Detect(file) = %v, want an error naming %s", err, file)
	}
}

func TestDetectEmptyAndRoot(t *testing.T) {
	dir := t.TempDir()
	got, err := Detect(dir)
	if err != nil || len(got) != 0 {
		t.Fatalf("Detect(empty) = %v, %v", got, err)
	}
	for _, f := range []string{"Cargo.lock", "crates/a/Cargo.lock", "requirements.txt", "-weird/go.mod"} {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err = Detect(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || strings.Join(got["cargo"].Workdirs, ",") != "." || strings.Join(got["pip"].Workdirs, ",") != "." {
		t.Errorf("Detect = %+v, want cargo and pip at . only", got)
	}
}
