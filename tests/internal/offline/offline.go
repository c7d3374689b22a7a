// Package offline owns the offline fixtures of the pip, cargo and maven
// (and gradle) script tests and benches: PyPI, crates.io and Maven Central
// are not reachable here, so the real tools fetch from servers on
// 127.0.0.1 — wheels packed from tests/scripts/testdata/pip, Debian's
// librust-*-dev crate sources as a sparse registry, Debian's
// /usr/share/maven-repo as a remote repository. The machine is prepared by
// tests/scripts/testdata/build-offline-fixtures.sh (Builder).
package offline

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"time"
)

// ScriptsTestdata is tests/scripts/testdata, found from this source file.
func ScriptsTestdata() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "scripts", "testdata")
}

// Builder is the fixture builder script (idempotent; as root it apt-get
// installs what is missing).
func Builder() string { return filepath.Join(ScriptsTestdata(), "build-offline-fixtures.sh") }

// Fixtures runs the builder into out and returns its key=value output
// (offline-fixtures.env: CRATES_DIR, CARGO, MAVEN_REPO, ...). A failure
// carries the builder's own instructions.
func Fixtures(ctx context.Context, out string, timeout time.Duration) (map[string]string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", Builder(), out)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s failed (%v); it installs the Debian packages the offline fixtures need (run it as root, or follow its instructions):\n%s", Builder(), err, buf.String())
	}
	b, err := os.ReadFile(filepath.Join(out, "offline-fixtures.env"))
	if err != nil {
		return nil, err
	}
	env := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(k, "#") {
			env[k] = v
		}
	}
	return env, nil
}

// Server is an HTTP server on 127.0.0.1 that counts requests and can be
// stopped, so that a later run provably gets nothing from the network.
type Server struct {
	URL      string
	srv      *http.Server
	requests atomic.Int64
	stopped  atomic.Bool
}

// Serve starts h on a free port of 127.0.0.1.
func Serve(h http.Handler) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{URL: "http://" + ln.Addr().String()}
	s.srv = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.requests.Add(1)
			h.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Requests is the number of requests served so far.
func (s *Server) Requests() int64 { return s.requests.Load() }

// Stop closes the listener and every connection; the port then refuses.
// It may be called more than once.
func (s *Server) Stop() {
	if s.stopped.Swap(true) {
		return
	}
	_ = s.srv.Close()
}
