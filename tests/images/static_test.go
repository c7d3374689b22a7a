package images

import (
	"strings"
	"testing"
)

// TestStaticELF: a dynamically linked busybox (Debian's busybox package,
// not busybox-static) is refused with a clear error instead of building a
// pause image whose sandbox exits 255 on the node.
func TestStaticELF(t *testing.T) {
	if err := staticELF("/bin/busybox"); err != nil {
		t.Fatalf("/bin/busybox: %v (install busybox-static: make deps)", err)
	}
	err := staticELF("/bin/ls") // Debian's ls links libc
	if err == nil || !strings.Contains(err.Error(), "dynamically linked") {
		t.Fatalf("staticELF(/bin/ls) = %v, want a dynamically linked error", err)
	}
}
