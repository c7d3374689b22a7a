package cluster

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Stop stops the node and removes everything it made outside Dir's files:
// the kubelet, controller-manager and scheduler (by PID); every container
// (killed and deleted through containerd, which runs runc delete and frees
// their cgroups); containerd (by PID); shims still alive (found by their
// executable, our shim binary); mounts under Dir; the CNI bridge. It
// returns what it could not clean. Safe to call more than once.
func (n *Node) Stop() error {
	if n == nil {
		return nil
	}
	for _, p := range []*process{n.kubelet, n.scheduler, n.kcm} {
		if p != nil {
			p.stop(15 * time.Second)
		}
	}
	var errs []error
	if n.containerd != nil {
		if done, _ := n.containerd.exited(); !done {
			errs = append(errs, n.removeContainers())
		}
		n.containerd.stop(15 * time.Second)
	}
	errs = append(errs, n.killShims(), n.unmountAll(), n.deleteBridge(), n.removeRunDir())
	return errors.Join(errs...)
}

// removeRunDir removes /run/containerd when this node made it and only
// empty folders are left in it.
func (n *Node) removeRunDir() error {
	if !n.madeRunDir {
		return nil
	}
	var files []string
	_ = filepath.WalkDir(runDir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	if len(files) > 0 {
		return fmt.Errorf("%s still holds %s", runDir, strings.Join(files, ", "))
	}
	return os.RemoveAll(runDir)
}

// removeContainers kills every task in containerd, deletes every
// container (tasks first, so runc removes their cgroups), then every
// sandbox network namespace goes with its pause container.
func (n *Node) removeContainers() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := n.Ctr(ctx, "tasks", "list", "--quiet")
	if err != nil {
		return fmt.Errorf("list tasks: %w", err)
	}
	ids := strings.Fields(out)
	for _, id := range ids {
		_, _ = n.Ctr(ctx, "tasks", "kill", "--signal", "SIGKILL", id)
	}
	var errs []error
	for _, id := range ids {
		// Deleting a task waits for it to be gone; retry while it dies.
		var err error
		for range 20 {
			if _, err = n.Ctr(ctx, "tasks", "delete", "--force", id); err == nil || strings.Contains(err.Error(), "not found") {
				// not found: its shim already reaped it.
				err = nil
				break
			}
			time.Sleep(250 * time.Millisecond)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("delete task %s: %w", id, err))
		}
	}
	out, err = n.Ctr(ctx, "containers", "list", "--quiet")
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for _, id := range strings.Fields(out) {
		if _, err := n.Ctr(ctx, "containers", "delete", id); err != nil && !strings.Contains(err.Error(), "not found") {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// killShims SIGKILLs any process whose executable is this node's shim.
func (n *Node) killShims() error {
	shim, err := filepath.EvalSymlinks(n.bin("containerd-shim-runc-v2"))
	if err != nil {
		return err
	}
	pids, err := pidsOf(shim)
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	return err
}

// pidsOf lists processes whose /proc/PID/exe is exe.
func pidsOf(exe string) ([]int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if target, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe")); err == nil && target == exe {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// MountsUnder lists mount points at or below dir, deepest first.
func MountsUnder(dir string) ([]string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var mounts []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) < 5 {
			continue
		}
		mp := unescapeMount(fields[4])
		if mp == dir || strings.HasPrefix(mp, dir+"/") {
			mounts = append(mounts, mp)
		}
	}
	sort.Slice(mounts, func(i, j int) bool { return len(mounts[i]) > len(mounts[j]) })
	return mounts, s.Err()
}

func unescapeMount(s string) string {
	return strings.NewReplacer(`\040`, " ", `\011`, "\t", `\012`, "\n", `\134`, `\`).Replace(s)
}

func (n *Node) unmountAll() error {
	var errs []error
	for range 3 { // stacked mounts need more than one pass
		mounts, err := MountsUnder(n.Dir)
		if err != nil {
			return err
		}
		if len(mounts) == 0 {
			return nil
		}
		errs = errs[:0]
		for _, m := range mounts {
			if err := syscall.Unmount(m, syscall.MNT_DETACH); err != nil && !errors.Is(err, syscall.EINVAL) {
				errs = append(errs, fmt.Errorf("unmount %s: %w", m, err))
			}
		}
	}
	return errors.Join(errs...)
}

func (n *Node) deleteBridge() error {
	if _, err := os.Stat(filepath.Join("/sys/class/net", n.Bridge)); err != nil {
		return nil
	}
	_, err := run(context.Background(), "ip", "link", "delete", n.Bridge)
	return err
}

// run runs a command and returns its stdout, with stderr in the error
// when it fails (ctr prints warnings on stderr).
func run(ctx context.Context, bin string, args ...string) (string, error) {
	var stderr strings.Builder
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %w: %s", filepath.Base(bin), strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}

// MadeRunDir reports whether this node created /run/containerd (and so
// Stop must have removed it).
func (n *Node) MadeRunDir() bool { return n.madeRunDir }
