package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/prewarm-dev/prewarm/pkg/cache"
)

// clusterFlags reach a cache through the cluster: a short Job mounts the
// PVC and prints the inventory (kubeconfig resolved as kubectl does).
type clusterFlags struct {
	namespace  string
	claim      string
	release    string
	image      string
	kubeconfig string
	context    string
	timeout    time.Duration
}

func (c *clusterFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&c.namespace, "namespace", "n", "", "namespace of the cache PVC (cluster way)")
	cmd.Flags().StringVar(&c.claim, "claim", "", "name of the cache PVC (cluster way)")
	cmd.Flags().StringVar(&c.release, "release", "", "Helm release (prewarm-workspace or prewarm-caches) whose cache PVCs to read (cluster way)")
	cmd.Flags().StringVar(&c.image, "image", cache.DefaultImage, "image of the inventory Job (needs a POSIX sh, du, stat, sed, awk: busybox has them)")
	cmd.Flags().StringVar(&c.kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)")
	cmd.Flags().StringVar(&c.context, "context", "", "kubeconfig context")
	cmd.Flags().DurationVar(&c.timeout, "timeout", 5*time.Minute, "how long to wait for the inventory Job")
}

func (c *clusterFlags) set() bool {
	return c.namespace != "" || c.claim != "" || c.release != ""
}

func (c *clusterFlags) inventories(ctx context.Context, preset string, progress io.Writer) ([]*cache.Inventory, error) {
	if c.namespace == "" {
		return nil, fmt.Errorf("-n NAMESPACE is required with --claim or --release (or use --path DIR for a mounted cache)")
	}
	if (c.claim == "") == (c.release == "") {
		return nil, fmt.Errorf("give exactly one of --claim NAME and --release NAME with -n %s", c.namespace)
	}
	if c.timeout <= 0 {
		return nil, fmt.Errorf("--timeout %s must be positive", c.timeout)
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = c.kubeconfig
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: c.context}).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ts, err := cache.ResolveClaims(ctx, cs, c.namespace, c.claim, c.release, preset)
	if err != nil {
		return nil, err
	}
	return cache.RunInventory(ctx, cs, c.namespace, c.image, ts, c.timeout, progress)
}
