package cluster

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"k8s.io/client-go/rest"
)

// waitHealthy polls check until it passes, p exits, or timeout elapses.
func waitHealthy(ctx context.Context, p *process, timeout time.Duration, check func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		if done, err := p.exited(); done {
			return fmt.Errorf("%s %w (%v); see %s", p.name, errExited, err, p.log)
		}
		err := check(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready after %v: %v; see %s", p.name, timeout, err, p.log)
		case <-tick.C:
		}
	}
}

func etcdHealthy(url string) func(context.Context) error {
	return func(ctx context.Context) error {
		body, err := get(ctx, http.DefaultClient, url+"/health")
		if err == nil && !strings.Contains(body, `"health":"true"`) {
			err = fmt.Errorf("unhealthy: %s", body)
		}
		return err
	}
}

func apiserverReady(cfg *rest.Config) func(context.Context) error {
	c, err := rest.HTTPClientFor(cfg)
	return func(ctx context.Context) error {
		if err != nil {
			return err
		}
		_, err := get(ctx, c, cfg.Host+"/readyz")
		return err
	}
}

// get returns the body of a 200 response, or an error.
func get(ctx context.Context, c *http.Client, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s: %s", url, resp.Status, b)
	}
	return string(b), nil
}
