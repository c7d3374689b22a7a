package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteTable prints groups as an aligned table, one row per group.
func WriteTable(w io.Writer, groups []Group) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAMESPACE\tWORKSPACE\tPRESET\tTASKS\tSNAPSHOT\tWARM\tCOLD\tFALLBACK\tP50\tP90\tLAST COLD START\tWHY")
	for _, g := range groups {
		ws := g.Workspace
		if ws == "" {
			ws = "<unknown>"
		}
		cols := []string{g.Namespace, ws, g.Preset, fmt.Sprint(g.Tasks)}
		for _, r := range Results {
			cols = append(cols, fmt.Sprintf("%.0f%%", 100*g.Share[r]))
		}
		cols = append(cols, seconds(g.MedianSeconds), seconds(g.P90Seconds))
		if c := g.LastCold; c != nil {
			cols = append(cols, fmt.Sprintf("%s %s", c.Pod, c.Finished.UTC().Format(time.RFC3339)), c.Reason)
		} else {
			cols = append(cols, "-", "-")
		}
		fmt.Fprintln(tw, strings.Join(cols, "\t"))
	}
	return tw.Flush()
}

func seconds(s float64) string { return fmt.Sprintf("%.1fs", s) }

// JSON is the `-o json` document.
type JSON struct {
	Groups []Group `json:"groups"`
}

// WriteJSON prints groups as indented JSON (keys sorted, so deterministic).
func WriteJSON(w io.Writer, groups []Group) error {
	if groups == nil {
		groups = []Group{}
	}
	b, err := json.MarshalIndent(JSON{Groups: groups}, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}
