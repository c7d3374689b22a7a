package cluster

import (
	"fmt"
	"os"
	"strings"

	prun "github.com/prewarm-dev/prewarm/tests/internal/run"
)

// LogTail returns the last n lines of each child's log, for failure output.
func (cp *ControlPlane) LogTail(n int) string {
	var b strings.Builder
	for _, p := range []*process{cp.etcd, cp.apiserver} {
		if p == nil {
			continue
		}
		fmt.Fprintf(&b, "----- last %d lines of %s -----\n%s", n, p.log, tail(p.log, n))
	}
	return b.String()
}

// tail is the last n lines of the file at path (run.Tail), ending in a
// newline.
func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return err.Error() + "\n"
	}
	return prun.Tail(strings.TrimSuffix(string(data), "\n"), n) + "\n"
}
