package cluster

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"time"
)

// process is one child binary whose output goes to a log file.
type process struct {
	name string
	log  string
	cmd  *exec.Cmd
	done chan struct{} // closed once the child has been reaped
	err  error         // exit status, valid after done
}

// startProcess starts bin with args, logging to dir/name.log.
func startProcess(dir, name, bin string, args ...string) (*process, error) {
	return startProcessEnv(dir, name, bin, nil, args...)
}

// startProcessEnv is startProcess with env added to this process's own.
func startProcessEnv(dir, name, bin string, env []string, args ...string) (*process, error) {
	p := &process{name: name, log: dir + "/" + name + ".log", done: make(chan struct{})}
	f, err := os.Create(p.log)
	if err != nil {
		return nil, err
	}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Stdout, p.cmd.Stderr = f, f
	if env != nil {
		p.cmd.Env = append(os.Environ(), env...)
	}
	p.cmd.SysProcAttr = sysProcAttr()
	started := make(chan error, 1)
	go p.run(f, started)
	if err := <-started; err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	return p, nil
}

// run starts and reaps the child on one locked OS thread: Pdeathsig fires
// when the thread that forked exits, so that thread must outlive the child.
func (p *process) run(f *os.File, started chan<- error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer f.Close()
	if err := p.cmd.Start(); err != nil {
		started <- err
		return
	}
	started <- nil
	p.err = p.cmd.Wait()
	close(p.done)
}

// exited reports whether the child is gone, with its status.
func (p *process) exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// stop sends SIGTERM to the PID, then SIGKILL after grace, and waits.
func (p *process) stop(grace time.Duration) {
	if done, _ := p.exited(); done {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}
