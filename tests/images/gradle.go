package images

import (
	"archive/zip"
	"bufio"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// gradleHome is Debian's Gradle 4.4.1 (the gradle package): bin, init.d,
// and lib/ whose jars are links into /usr/share/java.
const gradleHome = "/usr/share/gradle"

// gradleLayer: Debian's Gradle 4.4.1 with only the /usr/share/java jars it
// declares it needs, never the whole of /usr/share/java: every Gradle jar
// carries a <module>-classpath.properties whose runtime= names jars in
// /usr/share/java and whose projects= names other Gradle modules; each jar
// may name more in its manifest's Class-Path (Debian writes absolute
// /usr/share/java paths there). The closure of both, with the links of
// /usr/share/gradle and /usr/share/java kept as links, plus Gradle's
// native-platform JNI libraries and what they link. It runs on jdkLayer.
func gradleLayer() (layer, error) {
	l := layer{}
	if _, err := os.Stat(gradleHome + "/bin/gradle"); err != nil {
		return nil, fmt.Errorf("gradle (apt-get install gradle): %w", err)
	}
	if err := l.hostTree(gradleHome, strings.TrimPrefix(gradleHome, "/"), nil); err != nil {
		return nil, err
	}
	l.add(entry{name: "usr/bin/gradle", link: "../share/gradle/bin/gradle", mode: 0o777})
	var queue []string
	err := filepath.WalkDir(gradleHome+"/lib", func(p string, _ os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".jar") {
			queue = append(queue, p)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	launchers, _ := filepath.Glob(gradleHome + "/lib/gradle-launcher-*.jar")
	if len(launchers) != 1 {
		return nil, fmt.Errorf("%s/lib: want one gradle-launcher-*.jar, found %v", gradleHome, launchers)
	}
	version := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(launchers[0]), "gradle-launcher-"), ".jar")
	seen := map[string]bool{}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		real, err := filepath.EvalSymlinks(p)
		if err != nil {
			continue // a dangling Class-Path entry: the JVM skips it too
		}
		if err := l.hostLinkChain(p); err != nil {
			return nil, err
		}
		if seen[real] {
			continue
		}
		seen[real] = true
		refs, err := jarRefs(real, version)
		if err != nil {
			return nil, fmt.Errorf("gradle: %s: %w", real, err)
		}
		queue = append(queue, refs...)
	}
	jni, _ := filepath.Glob("/usr/lib/jni/libnative-platform*.so")
	for _, so := range jni {
		if err := l.hostFile(so, strings.TrimPrefix(so, "/")); err != nil {
			return nil, err
		}
	}
	return l, l.sharedLibs(jni...)
}

// hostLinkChain adds p at its own path: each symlink on the way as a
// symlink (relative targets stay relative), then the file it ends at.
func (l layer) hostLinkChain(p string) error {
	for range 16 {
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		if fi.Mode()&os.ModeSymlink == 0 {
			l.add(entry{name: strings.TrimPrefix(p, "/"), src: p, mode: int64(fi.Mode().Perm())})
			return nil
		}
		dest, err := os.Readlink(p)
		if err != nil {
			return err
		}
		l.add(entry{name: strings.TrimPrefix(p, "/"), link: dest, mode: 0o777})
		if !path.IsAbs(dest) {
			dest = path.Join(path.Dir(p), dest)
		}
		p = dest
	}
	return fmt.Errorf("%s: too many links", p)
}

// jarRefs lists the jars one jar names: its manifest's Class-Path (relative
// to the jar's folder unless absolute) and, for Gradle's own jars, the
// runtime= and projects= of its *-classpath.properties.
func jarRefs(jar, version string) ([]string, error) {
	z, err := zip.OpenReader(jar)
	if err != nil {
		return nil, err
	}
	defer z.Close()
	var refs []string
	for _, f := range z.File {
		isManifest := f.Name == "META-INF/MANIFEST.MF"
		isProps := !strings.Contains(f.Name, "/") && strings.HasSuffix(f.Name, "-classpath.properties")
		if !isManifest && !isProps {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, err
		}
		if isManifest {
			for _, e := range strings.Fields(manifestValue(string(data), "Class-Path")) {
				if !path.IsAbs(e) {
					e = path.Join(path.Dir(jar), e)
				}
				refs = append(refs, e)
			}
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			k, v, _ := strings.Cut(strings.TrimSpace(line), "=")
			for _, n := range strings.Split(v, ",") {
				switch {
				case n == "":
				case k == "runtime":
					refs = append(refs, "/usr/share/java/"+n)
				case k == "projects":
					refs = append(refs, "/usr/share/java/"+n+"-"+version+".jar")
				}
			}
		}
	}
	sort.Strings(refs)
	return refs, nil
}

// manifestValue is one main-section attribute of a jar manifest, its
// continuation lines (a leading space) joined.
func manifestValue(mf, key string) string {
	var val strings.Builder
	in := false
	sc := bufio.NewScanner(strings.NewReader(strings.ReplaceAll(mf, "\r", "")))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case in && strings.HasPrefix(line, " "):
			val.WriteString(line[1:])
		case strings.HasPrefix(line, key+": "):
			in = true
			val.WriteString(strings.TrimPrefix(line, key+": "))
		default:
			if in {
				return val.String()
			}
		}
	}
	return val.String()
}
