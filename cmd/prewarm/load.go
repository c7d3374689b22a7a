package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/prewarm-dev/prewarm/pkg/api/v1alpha2"
)

// document is one YAML document of an input file.
type document struct {
	source string // "file.yaml" or "file.yaml (document 2)"
	raw    []byte
}

// maxInputBytes caps what prewarm reads from one file or stdin: the largest
// chart render is well under 1 MiB, and an endless stream (`yes | prewarm
// validate -`) must end in an error, not in gigabytes of memory.
const maxInputBytes = 16 << 20

// cappedReader reads at most max bytes and then fails with a clear error.
type cappedReader struct {
	r    io.Reader
	left int64
}

func (c *cappedReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, fmt.Errorf("input is larger than %d MiB, the most prewarm reads from one file", maxInputBytes>>20)
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

// readDocuments splits a file (or "-" for stdin) into its non-empty YAML
// documents, reading at most maxInputBytes.
func readDocuments(path string, stdin io.Reader) ([]document, error) {
	var r io.Reader = stdin
	name := "<stdin>"
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r, name = f, path
	}
	reader := utilyaml.NewYAMLReader(bufio.NewReader(&cappedReader{r: r, left: maxInputBytes + 1}))
	var docs []document
	for n := 1; ; n++ {
		raw, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if len(bytes.TrimSpace(stripComments(raw))) == 0 {
			continue
		}
		docs = append(docs, document{source: fmt.Sprintf("%s (document %d)", name, n), raw: raw})
	}
	if len(docs) == 1 {
		docs[0].source = name
	}
	return docs, nil
}

func stripComments(raw []byte) []byte {
	var out []string
	for _, l := range strings.Split(string(raw), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			out = append(out, l)
		}
	}
	return []byte(strings.Join(out, "\n"))
}

type typeHeader struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
}

// decodeKind decodes doc strictly into out after checking apiVersion/kind,
// so a typo'd field is an error rather than silently dropped.
func decodeKind(doc document, kind string, out any) error {
	h, err := parseHeader(doc)
	if err != nil {
		return err
	}
	want := v1alpha2.GroupVersion.String()
	if h.Kind != kind || h.APIVersion != want {
		return fmt.Errorf("%s: want apiVersion %s kind %s, got apiVersion %q kind %q", doc.source, want, kind, h.APIVersion, h.Kind)
	}
	if err := yaml.UnmarshalStrict(doc.raw, out); err != nil {
		return fmt.Errorf("%s: %s %w", doc.source, kind, explainQuantityError(doc.raw, cleanYAMLError(err)))
	}
	return nil
}

// cleanYAMLError drops the JSON-decoder layers from sigs.k8s.io/yaml errors.
func cleanYAMLError(err error) error {
	msg := err.Error()
	for _, p := range []string{"error unmarshaling JSON: while decoding JSON: ", "error unmarshaling JSON: "} {
		msg = strings.TrimPrefix(msg, p)
	}
	return errors.New(strings.Replace(msg, "json: unknown field", "has unknown field", 1))
}

// loadOne reads the one object of kind from path. Documents of other kinds
// are passed over, so a whole chart render (Workspace, PVCs, CronJobs) can
// be piped in; none or several of kind is an error.
func loadOne(path, kind string, stdin io.Reader, out any) error {
	docs, err := readDocuments(path, stdin)
	if err != nil {
		return err
	}
	var found []document
	for _, doc := range docs {
		h, err := parseHeader(doc)
		if err != nil {
			return err
		}
		if h.Kind == kind {
			found = append(found, doc)
		}
	}
	if len(found) == 0 && len(docs) == 1 {
		return decodeKind(docs[0], kind, out) // names the kind it got instead
	}
	if len(found) != 1 {
		return fmt.Errorf("%s: want exactly one %s document, found %d (of %d documents)", path, kind, len(found), len(docs))
	}
	return decodeKind(found[0], kind, out)
}

// parseHeader reads apiVersion and kind; a document without them is not a
// Kubernetes object and is reported rather than skipped.
func parseHeader(doc document) (typeHeader, error) {
	var h typeHeader
	if err := yaml.Unmarshal(doc.raw, &h); err != nil {
		return h, fmt.Errorf("%s: not valid YAML: %w", doc.source, cleanYAMLError(err))
	}
	if h.APIVersion == "" || h.Kind == "" {
		return h, fmt.Errorf("%s: not a Kubernetes object: apiVersion and kind are required", doc.source)
	}
	return h, nil
}
