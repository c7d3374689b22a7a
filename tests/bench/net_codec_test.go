package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNetSnapshotCodecReadsTheManifest: the network group's Info line names
// the codec the manifest records, and none for a manifest without a codec
// line (written before codecs existed).
func TestNetSnapshotCodecReadsTheManifest(t *testing.T) {
	for _, c := range []struct{ manifest, want string }{
		{"prewarm-snapshot-v2\nalgo=cksum\ncodec=zstd\ndir 755 .\nshard 0.tar.zst 1-2\nshard 1.tar.zst 3-4\nend shards=2\n", "codec zstd"},
		{"prewarm-snapshot-v2\nalgo=cksum\ndir 755 .\nshard 0.tar 1-2\nshard 1.tar 3-4\nend shards=2\n", "codec none"},
	} {
		cache := t.TempDir()
		snap := filepath.Join(cache, "snapshots", strings.Repeat("a", 64)+".v2")
		if err := os.MkdirAll(snap, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(snap, "manifest"), []byte(c.manifest), 0o644); err != nil {
			t.Fatal(err)
		}
		info, err := netSnapshotCodec(cache)
		if err != nil || !strings.Contains(info, c.want+" ") || !strings.Contains(info, " in 2 shards") {
			t.Errorf("netSnapshotCodec = %q, %v; want %q and 2 shards", info, err, c.want)
		}
	}
}

// TestPvcTextComparesCodecsPerSide: the paragraph sums up the network
// volume's codecs and, separately, the local disk's rows.
func TestPvcTextComparesCodecsPerSide(t *testing.T) {
	r := sampleResults()
	r.NetCompression = []Series{
		{Name: "tar-x-none", Values: []float64{8, 8, 8}},
		{Name: "tar-x-zstd", Values: []float64{5, 5, 5}},
		{Name: "local-tar-x-none", Values: []float64{1, 1, 1}},
		{Name: "local-tar-x-zstd", Values: []float64{1.5, 1.5, 1.5}},
	}
	got := pvcText(r)
	for _, want := range []string{"one-process extraction): none 8.00 s, zstd 5.00 s.", "zstd saves", "On local disk: none 1.00 s, zstd 1.50 s.", "PREWARM_SNAPSHOT_COMPRESSION=auto"} {
		if !strings.Contains(got, want) {
			t.Errorf("paragraph lacks %q:\n%s", want, got)
		}
	}
}
