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

func TestFunc(t *testing.T) {
	script := "#!/bin/sh\nf() {\n  echo f\n}\ng() {\n  if x; then\n    y\n  fi\n}\nf\n"
	for _, c := range []struct{ name, want string }{
		{"g", "g() {\n  if x; then\n    y\n  fi\n}\n"},
		{"f", "f() {\n  echo f\n}\n"},
		{"h", ""},
	} {
		if got := Func(script, c.name); got != c.want {
			t.Errorf("Func(%s) = %q, want %q", c.name, got, c.want)
		}
	}
}
