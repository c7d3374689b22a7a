package report

import (
	"fmt"
	"strconv"
	"strings"
)

// Results a setup summary line can carry, in the order reports show them.
var Results = []string{"snapshot", "warm", "cold", "fallback"}

// Cache states the line's cache= field can carry (absent in lines written
// before the field existed, or by a script that never asked).
const (
	CacheWritable   = "writable"
	CacheReadOnly   = "readonly"
	CacheUnwritable = "unwritable"
)

// Line is one parsed setup summary line:
//
//	prewarm: <ecosystem> key=<key> result=<result> seconds=<s> workdir=<dir> [cache=<state>] [<field>=<value>...]
type Line struct {
	Ecosystem string  `json:"ecosystem"`
	Key       string  `json:"key"`
	Result    string  `json:"result"`
	Seconds   float64 `json:"seconds"`
	Workdir   string  `json:"workdir"`
	// Cache is writable, readonly, unwritable or empty (not recorded).
	Cache string `json:"cache,omitempty"`
	// Fields holds the ecosystem's extra fields (pm=npm, packages=12, ...).
	Fields map[string]string `json:"fields,omitempty"`
}

const linePrefix = "prewarm: "

// ParseLine parses one summary line. A line that is not a summary line (a
// warning, an error, the pruner's line) is an error naming what is wrong.
func ParseLine(s string) (Line, error) {
	s = strings.TrimRight(s, "\r\n")
	rest, ok := strings.CutPrefix(s, linePrefix)
	if !ok {
		return Line{}, fmt.Errorf("not a prewarm summary line (no %q prefix): %.80q", linePrefix, s)
	}
	eco, rest, _ := strings.Cut(rest, " ")
	if eco == "" || strings.Contains(eco, "=") || strings.HasSuffix(eco, ":") {
		return Line{}, fmt.Errorf("not a prewarm summary line (no ecosystem name after %q): %.80q", linePrefix, s)
	}
	l := Line{Ecosystem: eco}
	fields, order, err := splitFields(rest)
	if err != nil {
		return Line{}, fmt.Errorf("summary line %.80q: %w", s, err)
	}
	for _, req := range []string{"key", "result", "seconds", "workdir"} {
		if _, ok := fields[req]; !ok {
			return Line{}, fmt.Errorf("summary line %.80q: missing field %s=", s, req)
		}
	}
	l.Key, l.Result, l.Workdir, l.Cache = fields["key"], fields["result"], fields["workdir"], fields["cache"]
	if !known(l.Result, Results) {
		return Line{}, fmt.Errorf("summary line %.80q: result=%q is not one of %s", s, l.Result, strings.Join(Results, ", "))
	}
	if l.Seconds, err = strconv.ParseFloat(fields["seconds"], 64); err != nil || l.Seconds < 0 {
		return Line{}, fmt.Errorf("summary line %.80q: seconds=%q is not a non-negative number", s, fields["seconds"])
	}
	if l.Cache != "" && !known(l.Cache, []string{CacheWritable, CacheReadOnly, CacheUnwritable}) {
		return Line{}, fmt.Errorf("summary line %.80q: cache=%q is not one of writable, readonly, unwritable", s, l.Cache)
	}
	for _, k := range order {
		switch k {
		case "key", "result", "seconds", "workdir", "cache":
			continue
		}
		if l.Fields == nil {
			l.Fields = map[string]string{}
		}
		l.Fields[k] = fields[k]
	}
	return l, nil
}

// ParseMessage returns the summary lines in a termination message (or a
// log), skipping every other line. The kubelet may keep only the log's
// tail, so a partial first line is skipped too.
func ParseMessage(msg string) []Line {
	var out []Line
	for _, s := range strings.Split(msg, "\n") {
		if l, err := ParseLine(s); err == nil {
			out = append(out, l)
		}
	}
	return out
}

// splitFields splits "k=v k=v" into a map. A word without "=" belongs to
// the previous value (a workdir with a space in it).
func splitFields(s string) (map[string]string, []string, error) {
	m := map[string]string{}
	var order []string
	for _, w := range strings.Split(s, " ") {
		k, v, ok := strings.Cut(w, "=")
		if !ok || k == "" {
			if len(order) == 0 {
				return nil, nil, fmt.Errorf("%q is not a field=value pair", w)
			}
			last := order[len(order)-1]
			m[last] += " " + w
			continue
		}
		if _, dup := m[k]; dup {
			return nil, nil, fmt.Errorf("field %s= appears twice", k)
		}
		m[k] = v
		order = append(order, k)
	}
	return m, order, nil
}

func known(v string, allowed []string) bool {
	for _, a := range allowed {
		if v == a {
			return true
		}
	}
	return false
}
