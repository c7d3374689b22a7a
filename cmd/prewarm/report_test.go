package main

import (
	"testing"
)

// TestReportExporterCLI: flag errors of report and exporter (cases in
// testdata/report/cases.yaml; the cluster runs are live tests).
func TestReportExporterCLI(t *testing.T) { runCLICases(t, "testdata/report/cases.yaml") }
