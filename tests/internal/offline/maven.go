package offline

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// MavenRepoHandler serves a Maven repository directory (Debian's
// /usr/share/maven-repo) like a remote one: files as they are, and for a
// missing <file>.sha1/.md5/.sha256/.sha512 the checksum of <file>, so
// Maven and Gradle validate every download as they would from Central.
func MavenRepoHandler(root string) http.Handler {
	files := http.FileServer(http.Dir(root))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for ext, sum := range checksums {
			if !strings.HasSuffix(r.URL.Path, ext) {
				continue
			}
			p := filepath.Join(root, filepath.FromSlash(filepath.Clean("/"+r.URL.Path)))
			if _, err := os.Stat(p); err == nil {
				break
			}
			b, err := os.ReadFile(strings.TrimSuffix(p, ext))
			if err != nil {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "text/plain")
			fmt.Fprint(w, sum(b))
			return
		}
		files.ServeHTTP(w, r)
	})
}

var checksums = map[string]func([]byte) string{
	".sha1":   func(b []byte) string { s := sha1.Sum(b); return hex.EncodeToString(s[:]) },
	".md5":    func(b []byte) string { s := md5.Sum(b); return hex.EncodeToString(s[:]) },
	".sha256": func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) },
	".sha512": func(b []byte) string { s := sha512.Sum512(b); return hex.EncodeToString(s[:]) },
}

// MavenSettings is a settings.xml mirroring every repository to url.
func MavenSettings(url string) string {
	return fmt.Sprintf("<settings>\n  <mirrors>\n    <mirror><id>prewarm-fixture</id><mirrorOf>*</mirrorOf><url>%s/</url></mirror>\n  </mirrors>\n</settings>\n", url)
}
