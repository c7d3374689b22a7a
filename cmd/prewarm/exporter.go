package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"

	"github.com/prewarm-dev/prewarm/pkg/report"
)

func init() { subcommands = append(subcommands, newExporterCmd) }

func newExporterCmd() *cobra.Command {
	var kf kubeFlags
	var all bool
	var listen, selector string
	var caches []string
	var resync, shutdown time.Duration
	cmd := &cobra.Command{
		Use:   "exporter [-n NAMESPACE | -A] [--listen ADDR] [--cache NAME=PATH]...",
		Short: "Serve Prometheus metrics of setup results and cache usage",
		Long: `exporter watches Task pods through an informer (list/watch pods only) and
serves on --listen:

  /metrics  prewarm_setup_total{namespace,workspace,ecosystem,result}
            prewarm_setup_seconds{namespace,workspace,ecosystem} (histogram)
            prewarm_cache_used_bytes{cache}, prewarm_cache_budget_bytes{cache},
            prewarm_cache_last_prune_timestamp_seconds{cache}
  /healthz  200 once the pod cache has synced

Each terminated setup container of a pod is counted once. Cache usage is
read at scrape time from the file the pruner keeps at the root of each
cache volume (` + report.UsageFile + `), for each --cache NAME=PATH (mount the
volumes read-only). It stops gracefully on SIGTERM or SIGINT.`,
		Example: `  prewarm exporter -A --listen :9090
  prewarm exporter -n team-a --cache npm=/cache/npm --cache gomod=/cache/gomod`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := kf.checkPodFlags(all, selector); err != nil {
				return err
			}
			cacheMap, err := parseCacheFlags(caches)
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			cs, ns, err := kf.client()
			if err != nil {
				return err
			}
			if all {
				ns = metav1.NamespaceAll
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()

			reg := prometheus.NewRegistry()
			m := report.NewSetupMetrics(reg)
			reg.MustRegister(report.NewCacheCollector(cacheMap))

			factory := informers.NewSharedInformerFactoryWithOptions(cs, resync,
				informers.WithNamespace(ns),
				informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = selector }))
			inf := factory.Core().V1().Pods().Informer()
			// Only the labels, init containers and their statuses matter.
			if err := inf.SetTransform(trimPod); err != nil {
				return err
			}
			if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
				AddFunc:    func(obj any) { observe(m, obj) },
				UpdateFunc: func(_, obj any) { observe(m, obj) },
				DeleteFunc: func(obj any) {
					if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
						obj = t.Obj
					}
					if pod, ok := obj.(*corev1.Pod); ok {
						m.ForgetPod(pod.UID)
					}
				},
			}); err != nil {
				return err
			}

			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return fmt.Errorf("--listen %s: %w", listen, err)
			}
			mux := http.NewServeMux()
			mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
			mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
				if !inf.HasSynced() {
					http.Error(w, "pod cache not synced yet", http.StatusServiceUnavailable)
					return
				}
				fmt.Fprintln(w, "ok")
			})
			srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
			serveErr := make(chan error, 1)
			go func() { serveErr <- srv.Serve(ln) }()

			factory.Start(ctx.Done())
			where := "namespace " + ns
			if ns == "" {
				where = "all namespaces"
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "prewarm exporter: watching Task pods in %s; serving /metrics on %s\n", where, ln.Addr())

			select {
			case err := <-serveErr:
				factory.Shutdown()
				return fmt.Errorf("serving /metrics: %w", err)
			case <-ctx.Done():
			}
			sctx, cancel := context.WithTimeout(context.Background(), shutdown)
			defer cancel()
			err = srv.Shutdown(sctx)
			factory.Shutdown()
			if err != nil && !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("shutting down: %w", err)
			}
			fmt.Fprintln(cmd.ErrOrStderr(), "prewarm exporter: stopped")
			return nil
		},
	}
	kf.add(cmd.Flags(), "namespace to watch (default: the kubeconfig context's; -A for all)")
	cmd.Flags().BoolVarP(&all, "all-namespaces", "A", false, "watch pods in every namespace (needs a ClusterRole)")
	cmd.Flags().StringVar(&listen, "listen", ":9090", "address to serve /metrics and /healthz on")
	cmd.Flags().StringVarP(&selector, "selector", "l", "", "label selector narrowing the watched pods")
	cmd.Flags().StringArrayVar(&caches, "cache", nil, "NAME=PATH of a mounted cache volume whose usage to report (repeatable)")
	cmd.Flags().DurationVar(&resync, "resync", 10*time.Minute, "informer resync period (resyncs never count a pod twice)")
	cmd.Flags().DurationVar(&shutdown, "shutdown-timeout", 10*time.Second, "how long in-flight scrapes may take on shutdown")
	return cmd
}

func observe(m *report.SetupMetrics, obj any) {
	if pod, ok := obj.(*corev1.Pod); ok {
		m.ObservePod(pod)
	}
}

// trimPod keeps what the metrics read, so the informer's cache stays small.
func trimPod(obj any) (any, error) {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return obj, nil
	}
	pod.ManagedFields = nil
	pod.Annotations = nil
	pod.Spec.Containers = nil
	pod.Spec.Volumes = nil
	pod.Status.ContainerStatuses = nil
	pod.Status.Conditions = nil
	return pod, nil
}

// parseCacheFlags turns --cache NAME=PATH values into a map.
func parseCacheFlags(vals []string) (map[string]string, error) {
	out := map[string]string{}
	for _, v := range vals {
		name, path, ok := strings.Cut(v, "=")
		switch {
		case !ok || name == "" || path == "":
			return nil, fmt.Errorf("--cache %q: want NAME=PATH, e.g. npm=/cache/npm", v)
		case len(validation.IsDNS1123Label(name)) > 0:
			return nil, fmt.Errorf("--cache %q: name %q must be a DNS-1123 label (lowercase letters, digits, '-')", v, name)
		case !filepath.IsAbs(path):
			return nil, fmt.Errorf("--cache %q: path %q must be absolute", v, path)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("--cache %q: cache %q given twice", v, name)
		}
		out[name] = filepath.Clean(path)
	}
	return out, nil
}
