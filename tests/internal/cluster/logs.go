package cluster

import (
	"bytes"
	"fmt"
	"os"
	"strings"
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

func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return err.Error() + "\n"
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, nil))
}
