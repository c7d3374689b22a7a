package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"sigs.k8s.io/yaml"

	prun "github.com/prewarm-dev/prewarm/tests/internal/run"
)

// ui writes the demo's output: numbered headings, indented lines, small
// tables; full objects only with --verbose.
type ui struct {
	mu      sync.Mutex
	out     io.Writer
	verbose bool
	tty     bool // out is a terminal: show running timers
	start   time.Time
}

const steps = 4

func (u *ui) printf(format string, a ...any) {
	u.mu.Lock()
	defer u.mu.Unlock()
	fmt.Fprintf(u.out, format, a...)
}

func (u *ui) heading(n int, title string) {
	u.printf("\n== %d/%d  %s\n", n, steps, title)
}

// line prints one indented line.
func (u *ui) line(format string, a ...any) {
	u.printf("  "+format+"\n", a...)
}

// progress prints prefix and, on a terminal, a running timer after it
// until the returned func is called (which leaves the cursor after prefix).
func (u *ui) progress(prefix string) (done func()) {
	u.printf("%s", prefix)
	if !u.tty || u.verbose {
		return func() {}
	}
	stop, stopped := make(chan struct{}), make(chan struct{})
	start := time.Now()
	go func() {
		defer close(stopped)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				u.printf("\r%s\x1b[K", prefix)
				return
			case <-tick.C:
				u.printf("\r%s%s", prefix, time.Since(start).Truncate(time.Second))
			}
		}
	}()
	return func() { close(stop); <-stopped }
}

// table prints rows (the first is the header) aligned, indented by two.
func (u *ui) table(rows [][]string, rightAligned ...int) {
	u.mu.Lock()
	defer u.mu.Unlock()
	right := map[int]bool{}
	for _, c := range rightAligned {
		right[c] = true
	}
	width := map[int]int{}
	for _, r := range rows {
		for i, c := range r {
			width[i] = max(width[i], len([]rune(c)))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		b.WriteString("  ")
		for i, c := range r {
			pad := strings.Repeat(" ", width[i]-len([]rune(c)))
			if right[i] {
				b.WriteString(pad + c)
			} else if i < len(r)-1 {
				b.WriteString(c + pad)
			} else {
				b.WriteString(c)
			}
			if i < len(r)-1 {
				b.WriteString("  ")
			}
		}
		fmt.Fprintln(u.out, strings.TrimRight(b.String(), " "))
	}
}

// object prints obj as YAML under a title, with --verbose only.
func (u *ui) object(title string, obj any) {
	if !u.verbose {
		return
	}
	// Drop metadata.managedFields: server bookkeeping, not the object.
	var m map[string]any
	data, err := json.Marshal(obj)
	if err == nil {
		err = json.Unmarshal(data, &m)
	}
	if meta, ok := m["metadata"].(map[string]any); ok {
		delete(meta, "managedFields")
	}
	if err == nil {
		data, err = yaml.Marshal(m)
	}
	if err != nil {
		u.printf("  (%s: %v)\n", title, err)
		return
	}
	u.printf("  --- %s (--verbose)\n%s", title, indent(string(data), "    "))
}

// raw prints text with --verbose only.
func (u *ui) raw(title, text string) {
	if !u.verbose || strings.TrimSpace(text) == "" {
		return
	}
	u.printf("  --- %s (--verbose)\n%s", title, indent(text, "    "))
}

func (u *ui) since() string {
	return fmtDuration(time.Since(u.start))
}

func fmtDuration(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	return d.Round(time.Second).String()
}

func indent(s, prefix string) string {
	lines := strings.SplitAfter(strings.TrimRight(s, "\n")+"\n", "\n")
	var b strings.Builder
	for _, l := range lines {
		if l != "" {
			b.WriteString(prefix + l)
		}
	}
	return b.String()
}

// tail returns the last n lines of s.
func tail(s string, n int) string { return prun.Tail(strings.TrimRight(s, "\n"), n) }
