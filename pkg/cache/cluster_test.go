package cache

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestJobOutputRoundTrip(t *testing.T) {
	cases := []struct {
		name    string
		stdout  string
		err     error
		want    string
		failure string
		ok      bool
	}{
		{name: "success", stdout: "removed pvc/c/store\nprewarm: cache pvc/c: removed 1 names, 4096 bytes\n", ok: true,
			want: "removed pvc/c/store\nprewarm: cache pvc/c: removed 1 names, 4096 bytes\n"},
		{name: "failure after output", stdout: "prewarm: cache pvc/c: removed 0 names, 0 bytes\n", err: errors.New("clear pvc/c: 1 running setup(s)\nuse this cache"), ok: true,
			want: "prewarm: cache pvc/c: removed 0 names, 0 bytes\n", failure: "clear pvc/c: 1 running setup(s) use this cache"},
		{name: "no output", err: errors.New("no snapshot"), ok: true, failure: "no snapshot"},
		{name: "too long for a termination message", stdout: strings.Repeat("removed pvc/c/snapshots/x\n", 200), ok: false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			msg := JobOutput(c.stdout, c.err)
			if len(msg) > MaxTerminationMessage {
				t.Fatalf("%d bytes: over the %d Kubernetes keeps", len(msg), MaxTerminationMessage)
			}
			out, failure, ok := ParseJobOutput(msg)
			if diff := cmp.Diff([]any{c.want, c.failure, c.ok}, []any{out, failure, ok}); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	// what is no framed output (a command that never started) is not complete
	if _, _, ok := ParseJobOutput("exec: prewarm: not found\n"); ok {
		t.Error("an unframed message parsed as complete")
	}
}

func TestClearJob(t *testing.T) {
	one := []ClusterTarget{{Preset: "npm", Claim: "c-npm", SubPath: "npm"}}
	j, err := ClearJob("agents", "img", one, []string{"cache", "clear", "--part", "stores"}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	c := j.Spec.Template.Spec.Containers[0]
	want := "prewarm cache clear --part stores --path /cache/npm --preset npm --show-root /cache/npm=pvc/c-npm/npm --termination-log /dev/termination-log"
	if got := strings.Join(c.Command, " "); got != want {
		t.Errorf("command\n got %s\nwant %s", got, want)
	}
	if m := c.VolumeMounts[0]; m.ReadOnly || m.SubPath != "npm" || j.Spec.Template.Spec.Volumes[0].PersistentVolumeClaim.ReadOnly {
		t.Error("a clear Job mounts its PVC read-write, with the pruner's subPath")
	}
	two := []ClusterTarget{{Preset: "npm", Claim: "a"}, {Preset: "gomod", Claim: "b"}}
	j, err = ClearJob("agents", "img", two, []string{"cache", "clear"}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(j.Spec.Template.Spec.Containers[0].Command, " "); !strings.Contains(got, "--path /cache --show-root /cache/npm=pvc/a --show-root /cache/gomod=pvc/b") {
		t.Errorf("two caches: %s", got)
	}
	for _, bad := range [][]ClusterTarget{
		{{Preset: "npm", Claim: "a"}, {Preset: "", Claim: "b"}},
		{{Preset: "npm", Claim: "a"}, {Preset: "npm", Claim: "b"}},
		nil,
	} {
		if _, err := ClearJob("agents", "img", bad, []string{"cache", "clear"}, time.Minute); err == nil {
			t.Errorf("%+v: want an error", bad)
		} else {
			t.Log(err)
		}
	}
}
