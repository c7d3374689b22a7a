package cache

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteDu prints one row per cache (bytes by part, against the budget) and
// then one row per store. Bytes are exact disk usage, as du counts them.
func WriteDu(w io.Writer, invs []*Inventory, budget int64) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PRESET\tPATH\tSNAPSHOTS\tSTORES\tTEMP\tOTHER\tTOTAL\tBUDGET\tOF BUDGET")
	var stores []string
	for _, inv := range invs {
		u := inv.Usage(budget)
		b, pct := "-", "-"
		if u.Budget > 0 {
			b = fmt.Sprint(u.Budget)
			pct = fmt.Sprintf("%.1f%%", float64(u.Total())*100/float64(u.Budget))
			if u.Total() > u.Budget {
				pct += " OVER"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\n", presetLabel(inv.Preset), inv.Root,
			u.Snapshots, u.Stores, u.Temp, u.Other, u.Total(), b, pct)
		for _, n := range slices.Sorted(maps.Keys(u.ByStore)) {
			last := "-"
			if t := inv.storeLastUse(n); !t.IsZero() {
				last = stamp(t)
			}
			stores = append(stores, fmt.Sprintf("%s\t%s\t%d\t%s\n", presetLabel(inv.Preset), n, u.ByStore[n], last))
		}
	}
	if len(stores) > 0 {
		fmt.Fprintln(tw, "")
		fmt.Fprintln(tw, "PRESET\tSTORE\tBYTES\tLAST USED")
		for _, s := range stores {
			fmt.Fprint(tw, s)
		}
	}
	return tw.Flush()
}

// storeLastUse is the newest use record naming store n (zero: none).
func (inv *Inventory) storeLastUse(n string) time.Time {
	var t time.Time
	for _, r := range inv.Records {
		for _, s := range r.Stores {
			if s == n && r.Used.After(t) {
				t = r.Used
			}
		}
	}
	return t
}

// WriteLs prints the snapshots of every cache, least recently used first.
// fullKeys prints all 64 hex digits instead of the summary line's 20.
func WriteLs(w io.Writer, invs []*Inventory, fullKeys bool) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PRESET\tKEY\tWORKDIR\tBYTES\tCREATED\tLAST USED\tFILES")
	for _, inv := range invs {
		for _, s := range inv.Snapshots() {
			k := s.Key
			if !fullKeys {
				k = k[:20]
			}
			wd := s.Workdir
			if wd == "" {
				wd = "-"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%d\n", presetLabel(inv.Preset), k, wd, s.Bytes, stamp(s.Created), stamp(s.LastUsed), len(s.Entries))
		}
	}
	return tw.Flush()
}

// WriteResult prints what Clear or Invalidate removed.
func WriteResult(w io.Writer, root string, r Result) error {
	for _, n := range r.Removed {
		if _, err := fmt.Fprintf(w, "removed %s/%s\n", strings.TrimSuffix(root, "/"), n); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(w, "prewarm: cache %s: removed %d names, %d bytes\n", root, len(r.Removed), r.Bytes)
	return err
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02T15:04:05Z")
}

func presetLabel(p string) string {
	if p == "" {
		return "-"
	}
	return p
}
