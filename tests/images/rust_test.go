package images

import (
	"path"
	"strings"
	"testing"
)

// TestRustLayersCarryDebiansToolchain: the cargo images hold Debian's cargo
// and rustc (never a rustup toolchain) with the libraries rustc loads
// (librustc_driver, LLVM 14), and the agent's standard library holds std
// and what it links, not the test harness or proc_macro (both need a C
// linker the images lack). Needs Debian's cargo (tests/install-deps.sh).
func TestRustLayersCarryDebiansToolchain(t *testing.T) {
	rust, err := rustLayer()
	if err != nil {
		t.Fatal(err)
	}
	has := func(l layer, prefix string) bool {
		for name := range l {
			if strings.HasPrefix(path.Base(name), prefix) {
				return true
			}
		}
		return false
	}
	for _, want := range []string{"usr/bin/cargo", "usr/bin/rustc"} {
		if e, ok := rust[want]; !ok || e.src != "/"+want {
			t.Errorf("the rust layer lacks %s from Debian's /%s: %+v", want, want, e)
		}
	}
	for _, lib := range []string{"librustc_driver-", "libLLVM-14", "libgit2", "libcurl-gnutls"} {
		if !has(rust, lib) {
			t.Errorf("the rust layer lacks %s*", lib)
		}
	}
	std, err := rustStdLayer()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"libstd-", "libcore-", "liballoc-", "libcompiler_builtins-", "libpanic_unwind-"} {
		if !has(std, want) {
			t.Errorf("the standard library layer lacks %s*.rlib", want)
		}
	}
	for name, e := range std {
		base := path.Base(name)
		for _, skip := range []string{"libtest-", "libproc_macro-", "libgetopts-"} {
			if strings.HasPrefix(base, skip) {
				t.Errorf("the standard library layer holds %s", name)
			}
		}
		if !e.dir && !strings.HasSuffix(base, ".rlib") {
			t.Errorf("the standard library layer holds %s, not an rlib", name)
		}
	}
}
