package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// terminationBench: does writing the setup's summary line as the
// container's termination message (pw_term_msg in
// templates-go/scripts/lib.sh.tpl, one printf into
// PREWARM_TERMINATION_LOG) cost setup time? Paired, interleaved runs of
// the fastest setup, where a fixed cost shows most: npm-small restored from
// its snapshot, once with PREWARM_TERMINATION_LOG naming an existing file
// (written, as the kubelet's /dev/termination-log is) and once naming a
// path that does not exist (pw_term_msg returns before writing). The
// result is a note: both medians and their ratio.
func (b *bench) terminationBench() error {
	var set npmSet
	for _, s := range b.npmSets() {
		if s.name == "npm-small" {
			set = s
		}
	}
	if set.name == "" {
		set = npmSet{"npm-small", filepath.Join(b.cfg.root, "tests", "bench", "testdata", "npm-small")}
	}
	r, err := b.newNpmRig(set)
	if err != nil {
		return err
	}
	defer removeAll(r.dir)
	if err := fresh(r.primed); err != nil {
		return err
	}
	if _, _, err := b.npmInstall(r, "dash", r.primed, "cold"); err != nil {
		return fmt.Errorf("priming the cache: %w", err)
	}
	msgFile := filepath.Join(r.dir, "termination-log")
	absent := filepath.Join(r.dir, "no-termination-log")
	secs := map[string][]float64{}
	steps := []step{
		{"message written", func(int) (float64, error) {
			if err := os.WriteFile(msgFile, nil, 0o644); err != nil {
				return 0, err
			}
			s, _, err := b.npmInstall(r, "dash", r.primed, "snapshot", "PREWARM_TERMINATION_LOG="+msgFile)
			if err != nil {
				return 0, err
			}
			msg, err := os.ReadFile(msgFile)
			if err != nil || !strings.Contains(string(msg), " result=snapshot ") {
				return 0, fmt.Errorf("the termination message was not written (%q, %v)", msg, err)
			}
			return s, nil
		}},
		{"no message", func(int) (float64, error) {
			s, _, err := b.npmInstall(r, "dash", r.primed, "snapshot", "PREWARM_TERMINATION_LOG="+absent)
			if _, statErr := os.Stat(absent); statErr == nil {
				return 0, fmt.Errorf("pw_term_msg created %s", absent)
			}
			return s, err
		}},
	}
	rounds := max(b.cfg.runs, 5)
	if err := b.interleave("termination", rounds, steps, func(mode string, s, _ float64) { secs[mode] = append(secs[mode], s) }); err != nil {
		return err
	}
	with, without := stat(secs["message written"]), stat(secs["no message"])
	b.res.Notes = append(b.res.Notes, fmt.Sprintf(
		"termination message: npm-small snapshot restore, %d interleaved pairs: median %.3f s (min %.3f, max %.3f) with the summary line written as the termination message, %.3f s (min %.3f, max %.3f) without; ratio %.3f",
		rounds, with.Median, with.Min, with.Max, without.Median, without.Min, without.Max, with.Median/without.Median))
	return nil
}
