// Package images builds the e2e suite's container images from files on
// this machine (never pulled): busybox-static from Debian, the host's node
// and npm, the host's Go toolchain, the host's git with the shared
// libraries it links. go-containerregistry assembles the images and writes
// one tarball that `ctr images import` reads.
package images

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// entry is one file in a layer.
type entry struct {
	name     string // path in the image, no leading slash
	src      string // host file to copy (regular files)
	data     []byte // or literal contents
	link     string // symlink target
	dir      bool
	mode     int64
	uid, gid int
}

// layer is an ordered set of entries, keyed by image path.
type layer map[string]entry

func (l layer) add(e entry) {
	e.name = strings.TrimPrefix(path.Clean("/"+e.name), "/")
	// Parent directories first, root-owned 0755 unless given.
	for dir := path.Dir(e.name); dir != "." && dir != "/"; dir = path.Dir(dir) {
		if _, ok := l[dir]; !ok {
			l[dir] = entry{name: dir, dir: true, mode: 0o755}
		}
	}
	l[e.name] = e
}

func (l layer) file(name string, data string, mode int64) {
	l.add(entry{name: name, data: []byte(data), mode: mode})
}

// hostFile copies a host file (following symlinks) to the same path.
func (l layer) hostFile(hostPath, name string) error {
	fi, err := os.Stat(hostPath)
	if err != nil {
		return err
	}
	l.add(entry{name: name, src: hostPath, mode: int64(fi.Mode().Perm())})
	return nil
}

// hostTree copies a host directory tree to name, keeping symlinks, skipping
// paths for which skip returns true.
func (l layer) hostTree(hostDir, name string, skip func(rel string, d fs.DirEntry) bool) error {
	return l.copyHostTree(hostDir, name, skip, false)
}

// sharedLibs adds the libraries ldd names for each binary, at the paths
// ldd prints (the dynamic loader finds them there in the image too).
func (l layer) sharedLibs(bins ...string) error {
	for _, bin := range bins {
		out, err := exec.Command("ldd", bin).Output()
		if err != nil {
			// "not a dynamic executable": nothing to add.
			continue
		}
		for _, line := range strings.Split(string(out), "\n") {
			f := strings.Fields(line)
			var lib string
			switch {
			case len(f) >= 3 && f[1] == "=>" && strings.HasPrefix(f[2], "/"):
				lib = f[2]
			case len(f) >= 1 && strings.HasPrefix(f[0], "/"):
				lib = f[0]
			default:
				continue
			}
			if err := l.hostFile(lib, lib); err != nil {
				return fmt.Errorf("%s needs %s: %w", bin, lib, err)
			}
		}
	}
	return nil
}

// tar writes the layer as an uncompressed tar, entries sorted, times
// fixed, so the same inputs give the same digest.
func (l layer) tar() ([]byte, error) {
	names := make([]string, 0, len(l))
	for n := range l {
		names = append(names, n)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	epoch := time.Unix(0, 0)
	for _, n := range names {
		e := l[n]
		h := &tar.Header{Name: n, Mode: e.mode, Uid: e.uid, Gid: e.gid, ModTime: epoch, Format: tar.FormatPAX}
		switch {
		case e.dir:
			h.Typeflag, h.Name = tar.TypeDir, n+"/"
		case e.link != "":
			h.Typeflag, h.Linkname = tar.TypeSymlink, e.link
		default:
			h.Typeflag = tar.TypeReg
			data := e.data
			if e.src != "" {
				var err error
				if data, err = os.ReadFile(e.src); err != nil {
					return nil, err
				}
			}
			h.Size = int64(len(data))
			if err := tw.WriteHeader(h); err != nil {
				return nil, err
			}
			if _, err := io.Copy(tw, bytes.NewReader(data)); err != nil {
				return nil, err
			}
			continue
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// hostTreeDeref copies a host directory tree to name like hostTree, but
// replaces each symlink by what it points to (a file, or a directory
// copied the same way); dangling links are left out. For Debian trees
// whose files are links into /usr/share/java or /etc (the JDK, Maven).
func (l layer) hostTreeDeref(hostDir, name string, skip func(rel string, d fs.DirEntry) bool) error {
	return l.copyHostTree(hostDir, name, skip, true)
}

// copyHostTree is hostTree, or hostTreeDeref with deref.
func (l layer) copyHostTree(hostDir, name string, skip func(rel string, d fs.DirEntry) bool, deref bool) error {
	return filepath.WalkDir(hostDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(hostDir, p)
		if rel != "." && skip != nil && skip(filepath.ToSlash(rel), d) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := path.Join(name, filepath.ToSlash(rel))
		if deref && d.Type()&fs.ModeSymlink != 0 {
			fi, err := os.Stat(p)
			switch {
			case err != nil:
				return nil // dangling
			case fi.IsDir():
				real, err := filepath.EvalSymlinks(p)
				if err != nil {
					return err
				}
				return l.copyHostTree(real, target, nil, true)
			default:
				l.add(entry{name: target, src: p, mode: int64(fi.Mode().Perm())})
			}
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			l.add(entry{name: target, dir: true, mode: int64(info.Mode().Perm())})
		case info.Mode()&fs.ModeSymlink != 0:
			dest, err := os.Readlink(p)
			if err != nil {
				return err
			}
			l.add(entry{name: target, link: dest, mode: 0o777})
		case info.Mode().IsRegular():
			l.add(entry{name: target, src: p, mode: int64(info.Mode().Perm())})
		}
		return nil
	})
}
