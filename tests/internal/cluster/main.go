package cluster

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"
)

// RunTests starts one control plane for a test package, hands it to use,
// runs the tests and stops it. Call it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(cluster.RunTests(m, func(c *cluster.ControlPlane) { cp = c })) }
func RunTests(m *testing.M, use func(*ControlPlane)) int {
	dir, err := os.MkdirTemp("", "prewarm-controlplane-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	cp, err := Start(context.Background(), dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "start control plane:", err)
		return 1
	}
	defer cp.Stop()
	defer stopOnSignal(cp, dir)()
	use(cp)
	code := m.Run()
	if code != 0 {
		fmt.Fprint(os.Stderr, cp.LogTail(40))
	}
	return code
}

// stopOnSignal stops the control plane and exits on SIGINT/SIGTERM, which
// would otherwise end the binary without running deferred cleanup.
func stopOnSignal(cp *ControlPlane, dir string) (cancel func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	quit := make(chan struct{})
	go func() {
		select {
		case sig := <-ch:
			fmt.Fprintf(os.Stderr, "%v: stopping control plane\n", sig)
			cp.Stop()
			os.RemoveAll(dir)
			os.Exit(1)
		case <-quit:
		}
	}()
	return func() { signal.Stop(ch); close(quit) }
}

// ForTest starts a control plane private to t and stops it in t.Cleanup,
// printing the logs' tails if t failed.
func ForTest(t testing.TB) *ControlPlane {
	t.Helper()
	cp, err := Start(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(cp.LogTail(40))
		}
		cp.Stop()
	})
	return cp
}
