package cache

import (
	"bufio"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// DumpHeader is the first line of the inventory script's output
// (templates-go/scripts/inventory.sh.tpl).
const DumpHeader = "prewarm-inventory v1"

// ErrTruncated is returned for a termination message the script could not
// fit (the logs carry the whole dump).
var ErrTruncated = fmt.Errorf("inventory truncated")

// ParseDump reads the inventory script's output into one Inventory per
// cache, classified exactly as Scan classifies a mounted path. Lines before
// the header (other log output) are skipped; every cache must end with its
// "end" line, so a cut-off dump is an error, never a short listing.
func ParseDump(text string) ([]*Inventory, error) {
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	var out []*Inventory
	var cur *Inventory
	header := false
	ln := 0
	for sc.Scan() {
		ln++
		line := sc.Text()
		if !header {
			if line == DumpHeader {
				header = true
			}
			continue
		}
		bad := func(why string) error { return fmt.Errorf("inventory line %d %q: %s", ln, line, why) }
		f := strings.SplitN(line, " ", 2)
		rest := ""
		if len(f) == 2 {
			rest = f[1]
		}
		if f[0] == "truncated" {
			return nil, ErrTruncated
		}
		if f[0] != "cache" && cur == nil {
			return nil, bad("outside a cache")
		}
		switch f[0] {
		case "cache":
			if cur != nil {
				return nil, bad("previous cache has no end line")
			}
			p, root, ok := strings.Cut(rest, " ")
			if !ok {
				return nil, bad("want: cache PRESET DIR")
			}
			if !KnownPreset(p) {
				p = ""
			}
			cur = &Inventory{Root: root, Preset: p, Records: map[string]Record{}}
		case "missing":
			return nil, fmt.Errorf("cache %s is not a directory in the Job's pod", rest)
		case "entry":
			g := strings.SplitN(rest, " ", 3)
			if len(g) != 3 {
				return nil, bad("want: entry BYTES MTIME NAME")
			}
			b, err1 := strconv.ParseInt(g[0], 10, 64)
			m, err2 := strconv.ParseInt(g[1], 10, 64)
			if err1 != nil || err2 != nil {
				return nil, bad("bytes and mtime must be integers")
			}
			e := Entry{Name: g[2], Bytes: b, MTime: time.Unix(m, 0)}
			if sub, ok := strings.CutPrefix(g[2], SnapshotsDir+"/"); ok {
				e.Part, e.Key = PartSnapshot, SnapshotKey(sub)
				if strings.HasPrefix(sub, TempPrefix) {
					e.Part = PartTemp
				} else if e.Key == "" {
					e.Part = PartOther
				}
			} else {
				e.Part = ClassifyTop(cur.Preset, g[2])
			}
			cur.Entries = append(cur.Entries, e)
		case "record":
			g := strings.SplitN(rest, " ", 6)
			if len(g) != 6 || !ValidKey(g[0]) {
				return nil, bad("want: record KEY MTIME CREATED PRESET STORES WORKDIR")
			}
			m, err := strconv.ParseInt(g[1], 10, 64)
			if err != nil {
				return nil, bad("mtime must be an integer")
			}
			r := Record{Key: g[0], Used: time.Unix(m, 0), Preset: g[3], Workdir: g[5]}
			if c, err := strconv.ParseInt(g[2], 10, 64); err == nil {
				r.Created = time.Unix(c, 0)
			} else {
				r.Created = r.Used
			}
			if g[4] != "-" {
				r.Stores = strings.Split(g[4], ",")
			}
			if r.Workdir == "-" {
				r.Workdir = ""
			}
			cur.Records[r.Key] = r
		case "lease":
			mt, name, ok := strings.Cut(rest, " ")
			m, err := strconv.ParseInt(mt, 10, 64)
			if !ok || err != nil {
				return nil, bad("want: lease MTIME NAME")
			}
			cur.Leases = append(cur.Leases, Lease{Name: name, MTime: time.Unix(m, 0)})
		case "lock":
			m, err := strconv.ParseInt(rest, 10, 64)
			if err != nil {
				return nil, bad("want: lock MTIME")
			}
			t := time.Unix(m, 0)
			cur.Lock = &t
		case "budget":
			if n, err := strconv.ParseInt(rest, 10, 64); err == nil && n > 0 {
				cur.Budget = n
			}
		case "end":
			n, err := strconv.Atoi(rest)
			if err != nil || n != len(cur.Entries) {
				return nil, bad(fmt.Sprintf("the cache had %d entries", len(cur.Entries)))
			}
			sortEntries(cur.Entries)
			sort.Slice(cur.Leases, func(i, j int) bool { return cur.Leases[i].Name < cur.Leases[j].Name })
			out = append(out, cur)
			cur = nil
		default:
			return nil, bad("unknown line")
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if !header {
		return nil, fmt.Errorf("no %q line in the output", DumpHeader)
	}
	if cur != nil {
		return nil, fmt.Errorf("inventory of %s is cut off (no end line)", cur.Root)
	}
	return out, nil
}
