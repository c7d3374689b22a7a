package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/kubernetes"

	"github.com/prewarm-dev/prewarm/pkg/cache"
	"github.com/prewarm-dev/prewarm/pkg/chartrender"
)

// clusterFlags reach a cache through the cluster: a short Job mounts the
// PVC and prints the inventory. kube (-n, --kubeconfig, --context) are the
// flags report and exporter have too, loaded the same way.
type clusterFlags struct {
	kube    kubeFlags
	claim   string
	release string
	image   string
	timeout time.Duration
}

func (c *clusterFlags) add(cmd *cobra.Command) {
	c.kube.add(cmd.Flags(), "namespace of the cache PVC (cluster way)")
	cmd.Flags().StringVar(&c.claim, "claim", "", "name of the cache PVC (cluster way)")
	cmd.Flags().StringVar(&c.release, "release", "", "Helm release (prewarm-workspace or prewarm-caches) whose cache PVCs to read (cluster way)")
	cmd.Flags().StringVar(&c.image, "image", "", "image of the Job (cluster way); du and ls: a POSIX sh, du, stat, sed, awk (default "+cache.DefaultImage+"); clear and invalidate: the prewarm binary on PATH (default: the exporter image of the prewarm-caches chart)")
	cmd.Flags().DurationVar(&c.timeout, "timeout", 5*time.Minute, "how long to wait for the Job (cluster way)")
}

func (c *clusterFlags) set() bool {
	return c.kube.namespace != "" || c.claim != "" || c.release != ""
}

// client checks the flags and connects to the cluster as kubectl would.
func (c *clusterFlags) client() (kubernetes.Interface, error) {
	if c.kube.namespace == "" {
		return nil, fmt.Errorf("-n NAMESPACE is required with --claim or --release (or use --path DIR for a mounted cache)")
	}
	if (c.claim == "") == (c.release == "") {
		return nil, fmt.Errorf("give exactly one of --claim NAME and --release NAME with -n %s", c.kube.namespace)
	}
	if c.timeout <= 0 {
		return nil, fmt.Errorf("--timeout %s must be positive", c.timeout)
	}
	cfg, err := clientConfig(c.kube.kubeconfig, c.kube.context, "").ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	return kubernetes.NewForConfig(cfg)
}

// interruptible is ctx cancelled by ^C or SIGTERM, so the Job is deleted
// before the CLI exits.
func interruptible(ctx context.Context) (context.Context, context.CancelFunc) {
	if ctx == nil {
		ctx = context.Background()
	}
	return signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
}

func (c *clusterFlags) inventories(ctx context.Context, preset string, progress io.Writer) ([]*cache.Inventory, error) {
	cs, err := c.client()
	if err != nil {
		return nil, err
	}
	ctx, stop := interruptible(ctx)
	defer stop()
	ts, err := cache.ResolveClaims(ctx, cs, c.kube.namespace, c.claim, c.release, preset)
	if err != nil {
		return nil, err
	}
	image := c.image
	if image == "" {
		image = cache.DefaultImage
	}
	return cache.RunInventory(ctx, cs, c.kube.namespace, image, ts, c.timeout, progress)
}

// clear runs `prewarm cache ARGS` (clear or invalidate with their flags)
// in a Job that mounts the PVCs read-write, and prints its output.
func (c *clusterFlags) clear(ctx context.Context, preset string, args []string, out, progress io.Writer, one bool) error {
	cs, err := c.client()
	if err != nil {
		return err
	}
	ctx, stop := interruptible(ctx)
	defer stop()
	ts, err := cache.ResolveClaims(ctx, cs, c.kube.namespace, c.claim, c.release, preset)
	if err != nil {
		return err
	}
	if one && len(ts) != 1 {
		return fmt.Errorf("release %s has %d cache PVCs (%s); pass --preset or --claim", c.release, len(ts), claimNames(ts))
	}
	image := c.image
	if image == "" {
		image, err = prewarmImage()
		if err != nil {
			return err
		}
	}
	err = cache.RunClear(ctx, cs, c.kube.namespace, image, ts, append([]string{"cache"}, args...), c.timeout, out, progress)
	var jf *cache.JobFailure
	if errors.As(err, &jf) {
		return &exitError{code: exitUsage, err: jf}
	}
	return err
}

func claimNames(ts []cache.ClusterTarget) string {
	var s []string
	for _, t := range ts {
		s = append(s, t.Claim)
	}
	return strings.Join(s, ", ")
}

// prewarmImage is the image with the prewarm binary: the exporter image of
// the embedded prewarm-caches chart (its values own the name and tag).
func prewarmImage() (string, error) {
	c, err := chartrender.Load("prewarm-caches")
	if err != nil {
		return "", err
	}
	m, _ := c.Values["metrics"].(map[string]any)
	img, _ := m["image"].(map[string]any)
	repo, _ := img["repository"].(string)
	if repo == "" {
		return "", fmt.Errorf("the prewarm-caches chart has no metrics.image.repository; pass --image")
	}
	ref := repo
	if tag, _ := img["tag"].(string); tag != "" {
		ref += ":" + tag
	}
	if d, _ := img["digest"].(string); d != "" {
		ref += "@" + d
	}
	return ref, nil
}
