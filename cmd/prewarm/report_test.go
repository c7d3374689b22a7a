package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestReportExporterCLI: flag errors of report and exporter (cases in
// testdata/report/cases.yaml; the cluster runs are live tests).
func TestReportExporterCLI(t *testing.T) {
	raw, err := os.ReadFile("testdata/report/cases.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cases []cliCase
	if err := yaml.UnmarshalStrict(raw, &cases); err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tc.Args, strings.NewReader(tc.Stdin), &stdout, &stderr)
			if code != tc.Exit {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.Exit, stdout.String(), stderr.String())
			}
			expectAll(t, "stdout", stdout.String(), tc.Stdout, true)
			expectAll(t, "stderr", stderr.String(), tc.Stderr, true)
		})
	}
}
