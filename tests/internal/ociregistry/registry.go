// Package ociregistry runs a real OCI distribution registry
// (github.com/distribution/distribution/v3, the registry behind Docker Hub
// and most self-hosted registries) inside the test process: plain HTTP on
// 127.0.0.1, in-memory storage, no auth. Helm pushes charts to it and
// installs them from it with --plain-http.
package ociregistry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/handlers"
	"github.com/sirupsen/logrus"

	// Registers the "inmemory" storage driver with the driver factory.
	_ "github.com/distribution/distribution/v3/registry/storage/driver/inmemory"
)

// Registry is one running registry.
type Registry struct {
	// Host is "127.0.0.1:PORT", the registry part of an oci:// reference.
	Host string

	app    *handlers.App
	srv    *http.Server
	served chan error // Serve's result, once it returned
	logs   *logBuffer
	once   sync.Once
	err    error
}

// Start listens on a free port of 127.0.0.1 and serves the registry API
// until Close. Its storage lives in memory and is gone after Close.
func Start(ctx context.Context) (*Registry, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &Registry{Host: l.Addr().String(), served: make(chan error, 1), logs: &logBuffer{}}
	sink.add(r.logs)

	cfg := &configuration.Configuration{}
	cfg.Storage = configuration.Storage{
		"inmemory": configuration.Parameters{},
		// The purger would start a goroutine that outlives the test.
		"maintenance": configuration.Parameters{"uploadpurging": map[any]any{"enabled": false}},
		"delete":      configuration.Parameters{"enabled": true},
	}
	// Signs upload state; a fixed one avoids the "generated random secret"
	// warning (there is only one registry instance anyway).
	cfg.HTTP.Secret = "prewarm-test-registry"
	cfg.HTTP.Addr = r.Host
	// handlers.NewApp panics on a bad configuration instead of erroring.
	r.app, err = newApp(ctx, cfg)
	if err != nil {
		l.Close()
		sink.remove(r.logs)
		return nil, err
	}
	r.srv = &http.Server{Handler: r.app, ReadHeaderTimeout: 30 * time.Second}
	go func() { r.served <- r.srv.Serve(l) }()
	if err := r.waitReady(ctx); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

func newApp(ctx context.Context, cfg *configuration.Configuration) (app *handlers.App, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("configure registry: %v", p)
		}
	}()
	return handlers.NewApp(ctx, cfg), nil
}

// ForTest starts a registry that t.Cleanup closes; its log is printed if t
// failed.
func ForTest(t testing.TB) *Registry {
	t.Helper()
	r, err := Start(t.Context())
	if err != nil {
		t.Fatalf("start OCI registry: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("----- OCI registry log -----\n%s", r.Logs())
		}
		if err := r.Close(); err != nil {
			t.Errorf("stop OCI registry: %v", err)
		}
	})
	return r
}

// URL is the registry's base URL, http://127.0.0.1:PORT.
func (r *Registry) URL() string { return "http://" + r.Host }

// Logs returns what the registry logged since it started.
func (r *Registry) Logs() string { return r.logs.String() }

// Close stops serving, waits for in-flight requests (up to 10s) and drops
// the storage. It is safe to call more than once.
func (r *Registry) Close() error {
	r.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := r.srv.Shutdown(ctx)
		if serr := <-r.served; !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, serr)
		}
		r.err = errors.Join(err, r.app.Shutdown())
		sink.remove(r.logs)
	})
	return r.err
}

// waitReady polls GET /v2/, the API version check every client starts with.
func (r *Registry) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for {
		resp, err := r.get(ctx, "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && resp.Header.Get("Docker-Distribution-API-Version") == "registry/2.0" {
				return nil
			}
			err = fmt.Errorf("GET /v2/: %s", resp.Status)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("registry on %s not ready: %w", r.Host, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Tags lists the tags of repository repo (GET /v2/<repo>/tags/list).
func (r *Registry) Tags(ctx context.Context, repo string) ([]string, error) {
	var out struct {
		Tags []string `json:"tags"`
	}
	_, err := r.getJSON(ctx, "/v2/"+repo+"/tags/list", "", &out)
	return out.Tags, err
}

// Manifest is the part of an OCI image manifest the tests look at.
type Manifest struct {
	// Digest is the manifest's own digest (Docker-Content-Digest).
	Digest       string            `json:"-"`
	MediaType    string            `json:"mediaType"`
	ArtifactType string            `json:"artifactType"`
	Config       Descriptor        `json:"config"`
	Layers       []Descriptor      `json:"layers"`
	Annotations  map[string]string `json:"annotations"`
}

// Descriptor is an OCI content descriptor.
type Descriptor struct {
	MediaType string `json:"mediaType"`
	Digest    string `json:"digest"`
	Size      int64  `json:"size"`
}

// Manifest fetches the OCI manifest of repo:ref.
func (r *Registry) Manifest(ctx context.Context, repo, ref string) (*Manifest, error) {
	m := &Manifest{}
	h, err := r.getJSON(ctx, "/v2/"+repo+"/manifests/"+ref, "application/vnd.oci.image.manifest.v1+json", m)
	if err != nil {
		return nil, err
	}
	m.Digest = h.Get("Docker-Content-Digest")
	return m, nil
}

// Blob fetches a blob of repo by digest.
func (r *Registry) Blob(ctx context.Context, repo, digest string) ([]byte, error) {
	resp, err := r.get(ctx, "/v2/"+repo+"/blobs/"+digest)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET blob %s: %s: %s", digest, resp.Status, body)
	}
	return body, err
}

// getJSON decodes the body of a 200 answer to GET path into v and returns
// the answer's headers.
func (r *Registry) getJSON(ctx context.Context, path, accept string, v any) (http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.URL()+path, nil)
	if err != nil {
		return nil, err
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %s", path, resp.Status, body)
	}
	return resp.Header, json.Unmarshal(body, v)
}

func (r *Registry) get(ctx context.Context, path string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.URL()+path, nil)
	if err != nil {
		return nil, err
	}
	return http.DefaultClient.Do(req)
}

// The registry logs through logrus' standard logger (its internal context
// package offers no other). sink sends that log to every running
// registry's buffer instead of stderr.
var sink = &logSink{bufs: map[*logBuffer]bool{}}

type logSink struct {
	mu   sync.Mutex
	bufs map[*logBuffer]bool
	init sync.Once
}

func (s *logSink) add(b *logBuffer) {
	s.init.Do(func() {
		logrus.SetOutput(s)
		logrus.SetLevel(logrus.InfoLevel)
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bufs[b] = true
}

func (s *logSink) remove(b *logBuffer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.bufs, b)
}

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for b := range s.bufs {
		b.Write(p)
	}
	return len(p), nil
}

// logBuffer keeps at most the last 1 MiB of a registry's log.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	if over := b.buf.Len() - 1<<20; over > 0 {
		b.buf.Next(over)
	}
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
