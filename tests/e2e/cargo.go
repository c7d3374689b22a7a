//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/prewarm-dev/prewarm/tests/images"
	"github.com/prewarm-dev/prewarm/tests/internal/offline"
)

// The cargo preset's registry on the node. crates.io is not reachable and
// Debian's cargo 0.66 (the one in the images) predates sparse registries
// (cargo 1.68), so the registry is the classic kind: a git index served by
// the git daemon pod, its config.json naming a busybox httpd pod that
// serves the .crate files. Both are built on the host from Debian's
// librust-*-dev crate sources by tests/internal/offline (the same packing
// and index entries the offline script tests serve as a sparse registry).

// cargoIndexRepo is the index's repository on the git server.
const cargoIndexRepo = "crates-index.git"

// cargoEnv runs Debian's cargo on the host: its own PATH (not a rustup
// toolchain's proxies) and a throwaway CARGO_HOME and HOME under scratch.
func cargoEnv(scratch string) []string {
	return []string{"PATH=/usr/bin:/bin", "CARGO_HOME=" + filepath.Join(scratch, "cargo-home"), "HOME=" + scratch}
}

// buildCrates writes the crates and the index entries under root
// (crates/<name>/<version>/download, index/<path>).
func buildCrates(root string) error {
	if _, err := os.Stat(images.CargoBin); err != nil {
		return fmt.Errorf("Debian's cargo (apt-get install cargo; tests/install-deps.sh): %w", err)
	}
	_, err := offline.BuildCargoRegistry(offline.DebianCrates, images.CargoBin, root, cargoEnv(filepath.Join(work, "cargo-scratch")))
	return err
}

// makeCargoRepos makes the index repository cargoIndexRepo (root's index/
// plus a config.json whose downloads go to cratesURL) and cargo.git: the
// e2e cargo app (tests/testdata/e2e/cargo-app) with a .cargo/config.toml
// that replaces crates.io with the index at indexURL (that repository on
// the git daemon), as a private mirror would,
// and a Cargo.lock Debian's cargo resolved against that index (through
// its file:// path on the host: the lock records crates.io as the source,
// whichever URL replaced it).
func makeCargoRepos(gitRoot, root, indexURL, cratesURL string) error {
	if err := os.WriteFile(filepath.Join(root, "index", "config.json"), []byte(offline.CargoIndexConfig(cratesURL)+"\n"), 0o644); err != nil {
		return err
	}
	if err := makeRepo(gitRoot, cargoIndexRepo, filepath.Join(root, "index")); err != nil {
		return err
	}
	app := filepath.Join(work, "cargo-app")
	if err := os.CopyFS(app, os.DirFS(filepath.Join("..", "testdata", "e2e", "cargo-app"))); err != nil {
		return err
	}
	config := filepath.Join(app, ".cargo", "config.toml")
	if err := os.MkdirAll(filepath.Dir(config), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(config, []byte(offline.CargoSourceConfig("file://"+filepath.Join(gitRoot, cargoIndexRepo))), 0o644); err != nil {
		return err
	}
	cmd := exec.Command(images.CargoBin, "generate-lockfile")
	cmd.Dir, cmd.Env = app, cargoEnv(filepath.Join(work, "cargo-scratch"))
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("cargo generate-lockfile against %s: %w\n%s", cargoIndexRepo, err, out)
	}
	if err := os.WriteFile(config, []byte(offline.CargoSourceConfig(indexURL)), 0o644); err != nil {
		return err
	}
	return makeRepo(gitRoot, "cargo.git", app)
}
