// Package prewarmcli builds the prewarm CLI (./cmd/prewarm of this
// checkout) once per test binary, for the tests that run it as a user
// would.
package prewarmcli

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
)

// Root is the checkout, found from this source file.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

// Build returns the path of a prewarm binary built from Root, building it
// on the first call.
var Build = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "prewarm-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "prewarm")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/prewarm")
	cmd.Dir = Root()
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/prewarm: %v\n%s", err, out)
	}
	return bin, nil
})
