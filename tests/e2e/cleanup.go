//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/prewarm-dev/prewarm/tests/internal/cluster"
)

// leftovers lists what the suite left behind after Stop: processes running
// a node binary, mounts under the suite's folder, network namespaces named
// by the CNI (cni-*), the bridge and its host-side veths. Empty means clean.
func leftovers(n *cluster.Node) string {
	if n == nil {
		return ""
	}
	var left []string
	bins := map[string]bool{}
	files, _ := os.ReadDir(n.BinDir)
	for _, f := range files {
		if real, err := filepath.EvalSymlinks(filepath.Join(n.BinDir, f.Name())); err == nil {
			bins[real] = true
		}
	}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if err == nil && bins[exe] {
			left = append(left, "process "+e.Name()+" "+exe)
		}
	}
	mounts, err := cluster.MountsUnder(work)
	if err != nil {
		left = append(left, err.Error())
	}
	for _, m := range mounts {
		left = append(left, "mount "+m)
	}
	netns, _ := filepath.Glob("/var/run/netns/cni-*")
	for _, ns := range netns {
		left = append(left, "netns "+ns)
	}
	if _, err := os.Stat(filepath.Join("/sys/class/net", n.Bridge)); err == nil {
		left = append(left, "bridge "+n.Bridge)
	}
	if len(left) == 0 {
		return ""
	}
	return fmt.Sprintf("%d left: %s", len(left), strings.Join(left, "; "))
}
