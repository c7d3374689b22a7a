package report

import (
	"fmt"
	"strconv"
	"strings"
)

// UsageFile is the file the pruner (prune.sh.tpl, pw_prune_record) keeps at
// the root of each cache volume: its last summary line, replaced atomically
// after every run.
const UsageFile = ".prewarm-usage"

// Prune is the pruner's summary line:
//
//	prewarm: prune cache=<path> before=<bytes> after=<bytes> removed=<n> budget=<bytes> stores=<n> entries=<n>
//
// (stores= and entries= are not read here; other fields are ignored)
type Prune struct {
	Cache   string
	Before  int64
	After   int64
	Removed int64
	Budget  int64
}

// ParsePrune parses the pruner's line.
func ParsePrune(s string) (Prune, error) {
	s = strings.TrimSpace(s)
	rest, ok := strings.CutPrefix(s, linePrefix+"prune ")
	if !ok {
		return Prune{}, fmt.Errorf("not a prewarm prune line (no %q prefix): %.80q", linePrefix+"prune ", s)
	}
	fields, _, err := splitFields(rest)
	if err != nil {
		return Prune{}, fmt.Errorf("prune line %.80q: %w", s, err)
	}
	p := Prune{Cache: fields["cache"]}
	for name, dst := range map[string]*int64{"before": &p.Before, "after": &p.After, "removed": &p.Removed, "budget": &p.Budget} {
		v, ok := fields[name]
		if !ok {
			return Prune{}, fmt.Errorf("prune line %.80q: missing field %s=", s, name)
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return Prune{}, fmt.Errorf("prune line %.80q: %s=%q is not a non-negative integer", s, name, v)
		}
		*dst = n
	}
	return p, nil
}
