package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSnapshotLayoutReadsShardsAndSplitDirectories: the breakdown's bare
// extraction takes the shard files in the manifest's order and makes every
// split directory first, as the restore does; a manifest without shards is
// an error, not an empty measurement.
func TestSnapshotLayoutReadsShardsAndSplitDirectories(t *testing.T) {
	snap := t.TempDir()
	manifest := "prewarm-snapshot-v2\nalgo=cksum\ncodec=none\ndir 775 .\ndir - ./typescript\ndir 755 ./@babel\nshard 1.tar 3-4\nshard 0.tar 1-2\nend shards=2\n"
	if err := os.WriteFile(filepath.Join(snap, "manifest"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	shards, dirs, err := snapshotLayout(snap)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{filepath.Join(snap, "1.tar"), filepath.Join(snap, "0.tar")}, shards); diff != "" {
		t.Errorf("shards (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{".", "./typescript", "./@babel"}, dirs); diff != "" {
		t.Errorf("dirs (-want +got):\n%s", diff)
	}

	if err := os.WriteFile(filepath.Join(snap, "manifest"), []byte("prewarm-snapshot-v2\nalgo=cksum\nend shards=0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := snapshotLayout(snap); err == nil {
		t.Error("a manifest without shards: no error")
	}
}
