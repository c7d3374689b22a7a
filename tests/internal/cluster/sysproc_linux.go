package cluster

import "syscall"

// Own process group so a terminal ^C reaches only the test binary, which
// stops the children in order; Pdeathsig kills them if the binary dies
// without cleaning up (panic, -timeout, SIGKILL).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
