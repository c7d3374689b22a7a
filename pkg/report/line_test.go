package report

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/prewarm-dev/prewarm/internal/yamlcase"
)

type lineCase struct {
	Name  string `json:"name"`
	Line  string `json:"line"`
	Want  *Line  `json:"want"`
	Error string `json:"error"`
}

func TestParseLine(t *testing.T) {
	yamlcase.Run(t, "testdata/lines.yaml", func(t *testing.T, tc lineCase) {
		got, err := ParseLine(tc.Line)
		if tc.Error != "" {
			if err == nil || !strings.Contains(err.Error(), tc.Error) {
				t.Fatalf("error %v, want one containing %q", err, tc.Error)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(*tc.Want, got); diff != "" {
			t.Errorf("ParseLine (-want +got):\n%s", diff)
		}
	})
}

func TestParseMessageSkipsOtherLines(t *testing.T) {
	msg := "ed=1 seconds=2 workdir=.\n" + // the cut-off start of a log tail
		"prewarm: warning: cache /cache/npm is absent\n" +
		"prewarm: npm key=ab result=cold seconds=2 workdir=a\n" +
		"prewarm: npm key=cd result=warm seconds=1 workdir=b\n"
	got := ParseMessage(msg)
	if len(got) != 2 || got[0].Workdir != "a" || got[1].Workdir != "b" {
		t.Fatalf("ParseMessage = %+v, want the two summary lines a and b", got)
	}
}

func TestParsePrune(t *testing.T) {
	p, err := ParsePrune("prewarm: prune cache=/cache/npm before=2048 after=1024 removed=3 budget=4096\n")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Prune{Cache: "/cache/npm", Before: 2048, After: 1024, Removed: 3, Budget: 4096}, p); diff != "" {
		t.Errorf("ParsePrune (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"prewarm: npm key=ab", "prewarm: prune cache=/c before=1 after=x removed=0 budget=1", "prewarm: prune cache=/c before=1 removed=0 budget=1"} {
		if _, err := ParsePrune(bad); err == nil {
			t.Errorf("ParsePrune(%q) succeeded, want an error", bad)
		}
	}
}

func readYAML(t *testing.T, path string, v any) { yamlcase.Read(t, path, v) }
