package shells

import (
	"slices"
	"testing"
)

func TestWithout(t *testing.T) {
	env := []string{"PATH=/bin", "PIP_INDEX_URL=x", "GOPATH=/go", "GOPATHX=keep", "HOME=/root", "LANG=C"}
	got := Without(env, "PIP_", "GOPATH=", "HOME=")
	if want := []string{"PATH=/bin", "GOPATHX=keep", "LANG=C"}; !slices.Equal(got, want) {
		t.Errorf("Without = %q, want %q", got, want)
	}
}
