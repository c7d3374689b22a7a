package tree

import "testing"

func TestDiff(t *testing.T) {
	for _, c := range []struct {
		a, b []string
		max  int
		want string
	}{
		{[]string{"a", "b", "c"}, []string{"b", "d"}, 30, "- a\n- c\n+ d"},
		{[]string{"a", "b"}, []string{"b", "a"}, 30, ""},
		{[]string{"a", "b", "c"}, nil, 2, "- a\n- b\n... 1 more"},
	} {
		if got := Diff(c.a, c.b, c.max); got != c.want {
			t.Errorf("Diff(%q, %q, %d) = %q, want %q", c.a, c.b, c.max, got, c.want)
		}
	}
}

func TestHuman(t *testing.T) {
	for n, want := range map[int64]string{17: "17 B", 1536: "2 KiB", 5 << 20: "5.0 MiB", 3 << 29: "1.50 GiB"} {
		if got := Human(n); got != want {
			t.Errorf("Human(%d) = %q, want %q", n, got, want)
		}
	}
}
