// Package scrape reads a Prometheus text endpoint (the exporter's
// /metrics) into metric families, for the tests that run `prewarm
// exporter` (tests/live and tests/e2e).
package scrape

import (
	"bytes"
	"fmt"
	"io"
	"net/http"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Ready GETs url (the exporter's /healthz: 200 once its informer synced)
// and says why it is not ready: the request's error or the status.
func Ready(url string) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	return nil
}

// Metrics GETs url and parses the body as the Prometheus text format. It
// returns the body too (to print or compare); the error names what failed:
// the request, the read or the parse.
func Metrics(url string) (map[string]*dto.MetricFamily, string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, "", err
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		return nil, string(body), fmt.Errorf("%s does not parse: %w", url, err)
	}
	return fams, string(body), nil
}
