package images

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
)

// Debian bookworm's Rust toolchain (apt-get install cargo, which pulls
// rustc and libstd-rust-dev): cargo 0.66 (Rust 1.65), rustc 1.63. Never
// the host's rustup toolchain (~/.cargo): a fresh machine has none.
const (
	CargoBin = "/usr/bin/cargo"
	RustcBin = "/usr/bin/rustc"
	// rustLib is rustc's target library folder for its sysroot /usr.
	rustLib = "/usr/lib/rustlib/x86_64-unknown-linux-gnu/lib"
)

// rustLayer: Debian's cargo and rustc with every library they link
// (librustc_driver, libstd, LLVM 14 and what LLVM links). Enough for
// `cargo fetch`, which asks rustc for the target's cfg and file names;
// compiling needs rustStdLayer too.
func rustLayer() (layer, error) {
	l := layer{}
	for _, bin := range []string{CargoBin, RustcBin} {
		if err := l.hostFile(bin, strings.TrimPrefix(bin, "/")); err != nil {
			return nil, fmt.Errorf("Debian's cargo and rustc (apt-get install cargo): %w", err)
		}
	}
	return l, l.sharedLibs(CargoBin, RustcBin)
}

// rustStdLayer: the standard library rlibs rustc links Rust code against
// (libstd-rust-dev), without what only a C linker could use: the test
// harness (test, getopts, unicode_width: `cargo test` links an executable)
// and proc_macro (proc-macro crates are shared objects). The images carry
// no C linker, so they build libraries (rlibs), not executables; the e2e
// cargo app is a library.
func rustStdLayer() (layer, error) {
	l := layer{}
	skip := func(rel string, d fs.DirEntry) bool {
		if d.IsDir() {
			return false
		}
		if !strings.HasSuffix(rel, ".rlib") {
			return true // the .so links of libstd/libtest (rustLayer has libstd)
		}
		crate, _, _ := strings.Cut(strings.TrimPrefix(filepath.Base(rel), "lib"), "-")
		switch crate {
		case "test", "getopts", "unicode_width", "proc_macro":
			return true
		}
		return false
	}
	if err := l.hostTree(rustLib, strings.TrimPrefix(rustLib, "/"), skip); err != nil {
		return nil, fmt.Errorf("Rust's standard library (apt-get install libstd-rust-dev): %w", err)
	}
	return l, nil
}
