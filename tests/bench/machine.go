package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Machine describes where the numbers come from.
type Machine struct {
	Date     string            `json:"date"`
	OS       string            `json:"os"`
	Kernel   string            `json:"kernel"`
	NProc    int               `json:"nproc"`
	CPU      string            `json:"cpu"`
	MemGiB   float64           `json:"memGiB"`
	Load     string            `json:"load"`
	LoadEnd  string            `json:"loadEnd,omitempty"`
	Disk     string            `json:"disk"`
	Versions map[string]string `json:"versions"`
}

func (m Machine) oneLine() string {
	return fmt.Sprintf("%d × %s, %.1f GiB, %s; go %s, node %s, npm %s; load %s", m.NProc, m.CPU, m.MemGiB, m.Kernel, m.Versions["go"], m.Versions["node"], m.Versions["npm"], m.Load)
}

func machineInfo(ctx context.Context) Machine {
	m := Machine{Date: time.Now().UTC().Format("2006-01-02"), NProc: runtime.NumCPU(), Versions: map[string]string{}}
	if out, err := exec.Command("nproc").Output(); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(out))); err == nil {
			m.NProc = n
		}
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			f := strings.Fields(l)
			if len(f) >= 2 && f[0] == "MemTotal:" {
				kb, _ := strconv.ParseFloat(f[1], 64)
				m.MemGiB = kb / 1024 / 1024
			}
		}
	}
	m.Load = loadAvg()
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "PRETTY_NAME="); ok {
				m.OS = strings.Trim(v, `"`)
			}
		}
	}
	m.Kernel = cmdLine(ctx, "uname", "-sr")
	if out := cmdAll(ctx, "df", "-hT", os.TempDir()); out != "" {
		lines := strings.Split(out, "\n")
		f := strings.Fields(lines[len(lines)-1])
		if len(f) >= 7 {
			m.Disk = fmt.Sprintf("%s on %s (%s, %s free)", os.TempDir(), f[0], f[1], f[4])
		}
	}
	m.Versions["go"] = strings.TrimPrefix(cmdLine(ctx, "go", "env", "GOVERSION"), "go")
	m.Versions["node"] = strings.TrimPrefix(cmdLine(ctx, "node", "--version"), "v")
	m.Versions["npm"] = cmdLine(ctx, "npm", "--version")
	m.Versions["python"] = strings.TrimPrefix(cmdLine(ctx, "python3", "--version"), "Python ")
	m.Versions["cargo"] = strings.TrimPrefix(cmdLine(ctx, "cargo", "--version"), "cargo ")
	if v := stripANSI(cmdLine(ctx, "mvn", "-B", "-v")); v != "" {
		v = strings.TrimPrefix(v, "Apache Maven ")
		v, _, _ = strings.Cut(v, " ")
		m.Versions["maven"] = v
	}
	if v := cmdAll(ctx, "java", "-version"); v != "" {
		m.Versions["java"] = firstLine(v)
	}
	m.Versions["dash"] = dpkgVersion(ctx, "dash")
	m.Versions["busybox"] = strings.TrimPrefix(strings.Fields(cmdLine(ctx, "busybox") + " ? ?")[1], "v")
	m.Versions["tar"] = strings.TrimPrefix(cmdLine(ctx, "tar", "--version"), "tar (GNU tar) ")
	return m
}

// cmdLine is the first line of a command's stdout ("" on failure). The
// user's PATH has ~/.cargo/bin added (rustup installs cargo there).
func cmdLine(ctx context.Context, name string, args ...string) string {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = baseEnv("")
	out, err := cmd.Output()
	if err != nil && len(out) == 0 {
		return ""
	}
	return strings.TrimSpace(firstLine(string(out)))
}

// cmdAll is a command's combined output ("" on failure).
func cmdAll(ctx context.Context, name string, args ...string) string {
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

func dpkgVersion(ctx context.Context, pkg string) string {
	return cmdLine(ctx, "dpkg-query", "-W", "-f=${Version}", pkg)
}

// stripANSI removes terminal colour sequences (ESC [ ... m).
func stripANSI(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '[' {
			j := i + 2
			for j < len(s) && (s[j] == ';' || (s[j] >= '0' && s[j] <= '9')) {
				j++
			}
			if j < len(s) && s[j] == 'm' {
				i = j
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// loadAvg is the 1, 5 and 15 minute load average, with the share of time
// some task waited for a CPU (PSI, last 5 minutes) where the kernel has it.
func loadAvg() string {
	var out string
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		f := strings.Fields(string(b))
		if len(f) >= 3 {
			out = strings.Join(f[:3], " ")
		}
	}
	if b, err := os.ReadFile("/proc/pressure/cpu"); err == nil {
		for _, f := range strings.Fields(firstLine(string(b))) {
			if v, ok := strings.CutPrefix(f, "avg300="); ok {
				out += fmt.Sprintf(" (CPU pressure: some task waited for a core %s%% of the last 5 min)", v)
			}
		}
	}
	return out
}
