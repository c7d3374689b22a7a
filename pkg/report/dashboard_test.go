package report

import (
	"encoding/json"
	"regexp"
	"slices"
	"testing"

	"github.com/prewarm-dev/prewarm/charts"
)

var metricRef = regexp.MustCompile(`\bprewarm_[a-z0-9_]+\b`)

// TestDashboardQueriesUseServedMetrics parses the Grafana dashboard the
// prewarm-caches chart ships and checks every query (panel targets and
// template variables) references at least one metric, and only metrics,
// that the exporter serves.
func TestDashboardQueriesUseServedMetrics(t *testing.T) {
	raw, err := charts.FS.ReadFile("prewarm-caches/dashboards/prewarm.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("dashboard is not JSON: %v", err)
	}
	served := MetricNames()
	var queries []string
	collectQueries(doc, "", &queries)
	if len(queries) < 10 {
		t.Fatalf("found %d queries in the dashboard, want every panel's and variable's (at least 10)", len(queries))
	}
	for _, q := range queries {
		refs := metricRef.FindAllString(q, -1)
		if len(refs) == 0 {
			t.Errorf("query %q references no prewarm metric", q)
		}
		for _, r := range refs {
			if !slices.Contains(served, r) {
				t.Errorf("query %q references %s, which the exporter does not serve (%v)", q, r, served)
			}
		}
	}
}

// collectQueries gathers "expr" values and the variables' query strings.
func collectQueries(v any, key string, out *[]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			collectQueries(c, k, out)
		}
	case []any:
		for _, c := range x {
			collectQueries(c, key, out)
		}
	case string:
		if key == "expr" || (key == "query" && metricRef.MatchString(x)) || key == "definition" {
			*out = append(*out, x)
		}
	}
}
