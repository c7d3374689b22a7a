// Package tree owns the file-tree helpers of the tests, the bench and the
// demo: copying fixtures, fingerprinting and listing trees to compare runs,
// diffing listings, removing trees that tools made read-only.
package tree

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Copy copies the regular files and directories under src to dst (the
// fixtures hold nothing else), keeping permissions and making every file
// writable by its owner.
func Copy(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, info.Mode().Perm()|0o200)
	})
}

// Digest lists every entry under root as "path type detail", sorted:
// sha256 and the owner's execute bit for files, the target for symlinks.
func Digest(root string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			out = append(out, rel+" link "+target)
		case d.IsDir():
			out = append(out, rel+" dir")
		case d.Type().IsRegular():
			sum, err := fileSHA256(p)
			if err != nil {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			out = append(out, fmt.Sprintf("%s file %s x=%v", rel, sum, info.Mode()&0o100 != 0))
		default:
			out = append(out, rel+" other "+d.Type().String())
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

func fileSHA256(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// State lists every path under root with mode, size (0 for directories),
// mtime and symlink target, sorted: two equal States prove that nothing
// under root was written in between.
func State(root string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		size := info.Size()
		if d.IsDir() {
			size = 0
		}
		extra := ""
		if d.Type()&fs.ModeSymlink != 0 {
			extra, _ = os.Readlink(p)
		}
		out = append(out, fmt.Sprintf("%s %s %d %d %s", p, info.Mode(), size, info.ModTime().UnixNano(), extra))
		return nil
	})
	sort.Strings(out)
	return out, err
}

// Diff reports the entries only in a ("- ") and only in b ("+ "), at most
// max of them ("" if the lists hold the same entries).
func Diff(a, b []string, max int) string {
	d := append(missing(a, b, "- "), missing(b, a, "+ ")...)
	if len(d) > max {
		d = append(d[:max], fmt.Sprintf("... %d more", len(d)-max))
	}
	return strings.Join(d, "\n")
}

// Missing lists the entries of want that got lacks.
func Missing(want, got []string) []string { return missing(want, got, "") }

// missing lists the entries of a that b lacks, each after mark.
func missing(a, b []string, mark string) []string {
	in := make(map[string]bool, len(b))
	for _, s := range b {
		in[s] = true
	}
	var out []string
	for _, s := range a {
		if !in[s] {
			out = append(out, mark+s)
		}
	}
	return out
}

// Temps lists the ".tmp-*" names anywhere under root (an unreadable or
// missing root has none).
func Temps(root string) []string {
	var out []string
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if strings.HasPrefix(d.Name(), ".tmp-") {
			out = append(out, p)
			if d.IsDir() {
				return filepath.SkipDir
			}
		}
		return nil
	})
	return out
}

// RemoveAll removes a tree, making read-only directories (Go's module
// cache without -modcacherw) writable first when a plain remove fails.
func RemoveAll(p string) error {
	if err := os.RemoveAll(p); err == nil {
		return nil
	}
	_ = filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			_ = os.Chmod(q, 0o755)
		}
		return nil
	})
	return os.RemoveAll(p)
}

// Fresh removes p and creates it empty.
func Fresh(p string) error {
	_ = RemoveAll(p)
	return os.MkdirAll(p, 0o755)
}

// CountFiles counts the regular files under root.
func CountFiles(root string) int {
	n := 0
	_ = filepath.WalkDir(root, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			n++
		}
		return nil
	})
	return n
}

// WriteFiles writes each path of files (relative to dir) with its content,
// mode 0644, creating the directories.
func WriteFiles(dir string, files map[string]string) error {
	for f, c := range files {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Human is n bytes for a reader: "1.50 GiB", "12.3 MiB", "4 KiB", "17 B".
func Human(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
