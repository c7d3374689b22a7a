package report

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	"github.com/prewarm-dev/prewarm/internal/yamlcase"
)

type aggregateCase struct {
	Name  string       `json:"name"`
	Pods  []corev1.Pod `json:"pods"`
	Table string       `json:"table"`
}

func TestAggregateTable(t *testing.T) {
	yamlcase.Run(t, "testdata/aggregate.yaml", func(t *testing.T, tc aggregateCase) {
		groups := aggregatePods(tc.Pods)
		var got bytes.Buffer
		if err := WriteTable(&got, groups); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.Table, got.String()); diff != "" {
			t.Errorf("table (-want +got):\n%s", diff)
		}
		// The listing order must not matter.
		rev := make([]corev1.Pod, len(tc.Pods))
		for i, p := range tc.Pods {
			rev[len(tc.Pods)-1-i] = p
		}
		if diff := cmp.Diff(groups, aggregatePods(rev)); diff != "" {
			t.Errorf("reversed pod order changes the report (-want +got):\n%s", diff)
		}
	})
}

func TestWriteJSON(t *testing.T) {
	var cases []aggregateCase
	readYAML(t, "testdata/aggregate.yaml", &cases)
	groups := aggregatePods(cases[1].Pods)
	var buf bytes.Buffer
	if err := WriteJSON(&buf, groups); err != nil {
		t.Fatal(err)
	}
	var back JSON
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatalf("-o json is not JSON: %v\n%s", err, buf.String())
	}
	if diff := cmp.Diff(groups, back.Groups); diff != "" {
		t.Errorf("JSON round trip (-want +got):\n%s", diff)
	}
	want := `"lastCold": {
        "pod": "a",
        "workdir": ".",
        "finished": "2026-11-30T10:00:00Z",
        "result": "cold",
        "reason": "cache empty"
      }`
	if !bytes.Contains(buf.Bytes(), []byte(want)) {
		t.Errorf("-o json lacks the last cold start %s:\n%s", want, buf.String())
	}
}

func aggregatePods(pods []corev1.Pod) []Group {
	var runs []Run
	for i := range pods {
		runs = append(runs, Runs(&pods[i])...)
	}
	return Aggregate(runs)
}
