package main

// The scratch file system: where every timed tree is written and deleted.
//
// A Task pod writes node_modules into an emptyDir on the node's disk, a
// journaled ext4 or xfs. ext4 without a journal (some VM images, among them
// this project's bench machine) makes each file creation skip every free
// inode of the group deleted in the last one to six minutes, reading each
// one's inode block to find out (fs/ext4/ialloc.c, recently_deleted(), used
// only when the file system has no journal). Every bench run deletes the
// previous run's tree before it writes the next, so on such a disk a
// 45,000-entry node_modules took 15 s to extract against 0.85 s on a
// journaled ext4 of the same disk: the bench would time that walk, not
// prewarm. -scratch-fs auto (the default) therefore runs on a journaled ext4
// made in an image file and mounted on a loop device when the scratch
// directory is on ext4 without a journal.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

// scratchModes are the -scratch-fs values.
var scratchModes = []string{"auto", "loop", "none"}

// loopGiB is the loop image's largest size (sparse; a test makes it small).
var loopGiB = 40.0

// scratch is the directory the bench writes in and what it is.
type scratch struct {
	dir  string
	desc string // for the machine table's "scratch disk" row
	note string // for the report's notes; empty unless a loop is used
	// cleanup unmounts and removes the loop image (nil without one).
	cleanup func()
}

// fsFacts is what the bench needs to know of the file system holding a dir.
type fsFacts struct {
	source, fstype string
	// journal is "yes", "no" or "" (not ext4, or unknown).
	journal string
	freeGiB float64
}

// statFS reads dir's mount (findmnt, util-linux) and, for ext4, whether it
// has a journal: /sys/fs/ext4/<device>/journal_task reads "<none>" without one.
func statFS(ctx context.Context, dir string) (fsFacts, error) {
	out, err := exec.CommandContext(ctx, "findmnt", "-n", "-o", "SOURCE,FSTYPE,MAJ:MIN", "--target", dir).Output()
	if err != nil {
		return fsFacts{}, fmt.Errorf("findmnt --target %s: %w", dir, err)
	}
	f := strings.Fields(strings.TrimSpace(string(out)))
	if len(f) != 3 {
		return fsFacts{}, fmt.Errorf("findmnt --target %s: unexpected output %q", dir, out)
	}
	fs := fsFacts{source: f[0], fstype: f[1]}
	var st syscall.Statfs_t
	if syscall.Statfs(dir, &st) == nil {
		fs.freeGiB = float64(st.Bavail) * float64(st.Bsize) / (1 << 30)
	}
	if fs.fstype != "ext4" {
		return fs, nil
	}
	dev, err := filepath.EvalSymlinks("/sys/dev/block/" + f[2])
	if err != nil {
		return fs, nil
	}
	b, err := os.ReadFile(filepath.Join("/sys/fs/ext4", filepath.Base(dev), "journal_task"))
	if err != nil {
		return fs, nil
	}
	fs.journal = "yes"
	if strings.TrimSpace(string(b)) == "<none>" {
		fs.journal = "no"
	}
	return fs, nil
}

func (f fsFacts) String() string {
	s := f.fstype
	switch f.journal {
	case "yes":
		s += " with a journal"
	case "no":
		s += " without a journal"
	}
	return fmt.Sprintf("%s (%s, %.0fG free)", f.source, s, f.freeGiB)
}

// setupScratch returns where to write: work itself, or (mode loop, or auto
// on ext4 without a journal) a journaled ext4 mounted at work/fs from the
// image work/scratch-ext4.img.
func setupScratch(ctx context.Context, mode, work string) (scratch, error) {
	if !slices.Contains(scratchModes, mode) {
		return scratch{}, fmt.Errorf("-scratch-fs: %q is not one of %s", mode, strings.Join(scratchModes, ", "))
	}
	fs, err := statFS(ctx, work)
	if err != nil {
		if mode == "loop" {
			return scratch{}, err
		}
		return scratch{dir: work, desc: work}, nil
	}
	here := scratch{dir: work, desc: fmt.Sprintf("%s on %s", work, fs)}
	switch mode {
	case "none":
		return here, nil
	case "auto":
		if fs.journal != "no" {
			return here, nil
		}
	}
	s, err := loopExt4(ctx, work, fs)
	if err == nil {
		return s, nil
	}
	if mode == "loop" {
		return scratch{}, err
	}
	here.note = fmt.Sprintf("the scratch directory is on ext4 without a journal and a journaled loop file system could not be made (%v): file creation after a delete is slower here than on a node's disk (see -scratch-fs)", firstLine(err.Error()))
	return here, nil
}

// loopExt4 makes the journaled ext4 image and mounts it (root, mkfs.ext4).
// The image is sparse: it takes the disk space the bench writes, at most
// loopGiB or three quarters of what is free.
func loopExt4(ctx context.Context, work string, under fsFacts) (scratch, error) {
	if os.Geteuid() != 0 {
		return scratch{}, errors.New("mounting a loop device needs root")
	}
	for _, t := range []string{"mkfs.ext4", "mount", "umount"} {
		if _, err := exec.LookPath(t); err != nil {
			return scratch{}, fmt.Errorf("%s is not installed", t)
		}
	}
	size := loopGiB
	if under.freeGiB > 0 && under.freeGiB*0.75 < size {
		size = under.freeGiB * 0.75
	}
	if size < 1 {
		return scratch{}, fmt.Errorf("%.1f GiB free under %s: too little for the loop image", under.freeGiB, work)
	}
	img := filepath.Join(work, "scratch-ext4.img")
	mnt := filepath.Join(work, "fs")
	if err := os.MkdirAll(mnt, 0o755); err != nil {
		return scratch{}, err
	}
	steps := [][]string{
		{"truncate", "-s", fmt.Sprintf("%dG", int(size)), img},
		// inode tables and journal written now, not by ext4lazyinit during the runs
		{"mkfs.ext4", "-q", "-F", "-m", "0", "-E", "lazy_itable_init=0,lazy_journal_init=0", img},
		{"mount", "-o", "loop", img, mnt},
	}
	for _, argv := range steps {
		if out, err := exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput(); err != nil {
			os.Remove(img)
			return scratch{}, fmt.Errorf("%s: %v: %s", strings.Join(argv, " "), err, strings.TrimSpace(string(out)))
		}
	}
	cleanup := func() {
		if out, err := exec.Command("umount", mnt).CombinedOutput(); err != nil {
			logf("umount %s: %v: %s (the loop image %s stays)", mnt, err, strings.TrimSpace(string(out)), img)
			return
		}
		os.Remove(img)
	}
	fs, err := statFS(ctx, mnt)
	if err != nil || fs.fstype != "ext4" || fs.journal != "yes" {
		cleanup()
		return scratch{}, fmt.Errorf("the loop file system at %s is not a journaled ext4 (%v, %v)", mnt, fs, err)
	}
	return scratch{
		dir:     mnt,
		desc:    fmt.Sprintf("%s on %s, a sparse image in %s on %s", mnt, fs, work, under),
		note:    fmt.Sprintf("scratch file system: a journaled ext4 on a loop device (%s), standing in for a node's disk, because %s is ext4 without a journal: there, each file creation after a large delete walks the inodes deleted in the last minutes (fs/ext4/ialloc.c recently_deleted()), and one tar -x of npm-large's node_modules took 15 s right after the previous tree was removed against 0.85 s on a journaled ext4 (-scratch-fs none measures the disk as it is)", fs.source, under.source),
		cleanup: cleanup,
	}, nil
}
