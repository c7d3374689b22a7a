package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/prewarm-dev/prewarm/pkg/cache"
)

func init() { subcommands = append(subcommands, newCacheCmd) }

// cacheFlags are the flags every `prewarm cache` subcommand shares.
type cacheFlags struct {
	path    string
	preset  string
	cluster clusterFlags
}

func (f *cacheFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.path, "path", "", "directory where the cache volume is mounted (one preset's cache, or a directory of <preset>/ caches)")
	cmd.Flags().StringVar(&f.preset, "preset", "", "preset of the cache at --path (default: read from its use records or layout): "+strings.Join(cache.Presets(), ", "))
	f.cluster.add(cmd)
}

// clusterWay reports whether the cluster flags name the caches; they and
// --path exclude each other.
func (f *cacheFlags) clusterWay() (bool, error) {
	if f.cluster.set() && f.path != "" {
		return false, fmt.Errorf("--path and the cluster flags (-n with --claim or --release) exclude each other")
	}
	return f.cluster.set(), nil
}

// targets resolves --path (and --preset) into caches.
func (f *cacheFlags) targets() ([]cache.Target, error) {
	return cache.Resolve(f.path, f.preset)
}

func newCacheCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cache",
		Short: "Show, clear and invalidate what is on a prewarm cache volume",
		Long: `cache reads and clears prewarm cache volumes: on a mounted path (--path,
what a debugging pod or the pruner sees), or in a cluster (-n NS with
--claim or --release: a short Job mounts the PVC and prints the same).

Stores are cleared under the same lock and lease protocol the setup scripts
and the pruner use: never while a setup is using them. A setup that starts
while a clear holds the lock installs with a per-pod cache
(result=fallback); one that restores a snapshot being removed falls back to
an install. Neither ever sees a partial tree.`,
	}
	cmd.AddCommand(newCacheDuCmd(), newCacheLsCmd(), newCacheClearCmd(), newCacheInvalidateCmd())
	return cmd
}

func newCacheDuCmd() *cobra.Command {
	var f cacheFlags
	var budget string
	cmd := &cobra.Command{
		Use:   "du (--path DIR | -n NS --claim NAME | -n NS --release R) [--preset P] [--budget Q]",
		Short: "Bytes per preset: snapshots, stores, temporaries, against the budget",
		Long: `du prints the disk usage of each cache (allocated bytes, as du counts them)
by part: snapshots, stores, temporaries (.tmp-*) and other (metadata and
names prewarm does not know), against the budget: --budget, else the budget
the pruner recorded on the volume at its last run (.prewarm/budget), else
"-". A second table shows each store and its last use (the newest use
record naming it).`,
		Example: `  prewarm cache du --path /cache/npm
  prewarm cache du --path /cache --budget 8Gi
  prewarm cache du -n agents --release my-app`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var b int64
			if budget != "" {
				q, err := resource.ParseQuantity(budget)
				if err != nil || q.Sign() <= 0 {
					return fmt.Errorf("--budget %q: want a positive byte count or quantity such as 8Gi or 500M", budget)
				}
				b = q.Value()
			}
			invs, err := f.inventories(cmd)
			if err != nil {
				return err
			}
			return cache.WriteDu(cmd.OutOrStdout(), invs, b)
		},
	}
	f.add(cmd)
	cmd.Flags().StringVar(&budget, "budget", "", "budget to compare with (bytes or a quantity such as 8Gi; default: the pruner's recorded budget)")
	return cmd
}

func newCacheLsCmd() *cobra.Command {
	var f cacheFlags
	var full bool
	cmd := &cobra.Command{
		Use:   "ls (--path DIR | -n NS --claim NAME | -n NS --release R) [--preset P]",
		Short: "Snapshots with key, workdir, size, created and last used",
		Long: `ls lists the install snapshots, least recently used first (the order the
pruner removes them in). KEY is the first 20 hex digits, as in the setup's
summary line (--full-keys for all 64). WORKDIR, CREATED and LAST USED come
from the use record a setup writes on every restore or publish
(.prewarm/used/<key>; its mtime is the last use, so no atime is needed);
without a record they are "-" and the snapshot files' mtimes.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			invs, err := f.inventories(cmd)
			if err != nil {
				return err
			}
			return cache.WriteLs(cmd.OutOrStdout(), invs, full)
		},
	}
	f.add(cmd)
	cmd.Flags().BoolVar(&full, "full-keys", false, "print all 64 hex digits of each key")
	return cmd
}

// inventories scans the caches at --path, or in the cluster.
func (f *cacheFlags) inventories(cmd *cobra.Command) ([]*cache.Inventory, error) {
	cluster, err := f.clusterWay()
	switch {
	case err != nil:
		return nil, err
	case cluster:
		return f.cluster.inventories(cmd.Context(), f.preset, cmd.ErrOrStderr())
	}
	ts, err := f.targets()
	if err != nil {
		return nil, err
	}
	return cache.ScanAll(ts)
}

// jobFlags are the hidden flags the cluster way passes to the prewarm
// that runs inside its Job: the names to print for the mount paths, and
// the termination-log file the output is framed into.
type jobFlags struct {
	showRoot []string // MOUNT=LABEL
	termLog  string
}

func (j *jobFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringArrayVar(&j.showRoot, "show-root", nil, "print LABEL for the cache at MOUNT (MOUNT=LABEL; set by the cluster way's Job)")
	cmd.Flags().StringVar(&j.termLog, "termination-log", "", "also write the output and status to this file (set by the cluster way's Job)")
	_ = cmd.Flags().MarkHidden("show-root")
	_ = cmd.Flags().MarkHidden("termination-log")
}

// label is how output names the cache at root.
func (j *jobFlags) label(root string) string {
	for _, m := range j.showRoot {
		if from, to, ok := strings.Cut(m, "="); ok && filepath.Clean(from) == filepath.Clean(root) {
			return to
		}
	}
	return root
}

// relabel replaces every mount path in an error's text by its label.
func (j *jobFlags) relabel(err error) error {
	if err == nil || len(j.showRoot) == 0 {
		return err
	}
	msg := err.Error()
	for _, m := range j.showRoot {
		if from, to, ok := strings.Cut(m, "="); ok {
			msg = strings.ReplaceAll(msg, from, to)
		}
	}
	return errors.New(msg)
}

// run runs f with its stdout; with --termination-log it also writes what
// f printed and its error there (cache.JobOutput).
func (j *jobFlags) run(cmd *cobra.Command, f func(out io.Writer) error) error {
	if j.termLog == "" {
		return f(cmd.OutOrStdout())
	}
	var buf bytes.Buffer
	err := j.relabel(f(io.MultiWriter(cmd.OutOrStdout(), &buf)))
	if werr := os.WriteFile(j.termLog, []byte(cache.JobOutput(buf.String(), err)), 0o644); werr != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "prewarm: warning: cannot write %s: %v\n", j.termLog, werr)
	}
	return err
}

func newCacheClearCmd() *cobra.Command {
	var f cacheFlags
	var j jobFlags
	var o cache.ClearOptions
	cmd := &cobra.Command{
		Use:   "clear (--path DIR | -n NS --claim NAME | -n NS --release R) [--preset P] [--part all|snapshots|stores] [--store NAME] [--wait D]",
		Short: "Remove snapshots and/or stores (never under a running setup)",
		Long: `clear removes a cache's snapshots, stores or both (--part, default all;
--store NAME picks one store). Everything is renamed to a .tmp-trash-* name
first (one atomic rename) and then deleted, so no reader sees a partial
tree. Stores are removed only under the trim lock (.prewarm/lock) and only
when no running setup holds a lease (.prewarm/leases/*); --wait waits that
long for them to finish (new setups fall back to per-pod caches meanwhile).
Without --wait a live lease is an error that names the setups.

In a cluster (-n NS with --claim or --release) a short Job mounts the PVCs
read-write and runs this same command on them (its image needs the prewarm
binary: --image, default the exporter image of the prewarm-caches chart);
its output is printed here, with pvc/<claim> for the path.`,
		Example: `  prewarm cache clear --path /cache/npm --part snapshots
  prewarm cache clear --path /cache/gomod --part stores --store build --wait 5m
  prewarm cache clear -n agents --claim my-app-prewarm-caches-npm --part snapshots`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cluster, err := f.clusterWay()
			if err != nil {
				return err
			}
			if cluster {
				args := []string{"clear"}
				for _, n := range []string{"part", "store", "wait"} {
					if fl := cmd.Flags().Lookup(n); fl.Changed {
						args = append(args, "--"+n, fl.Value.String())
					}
				}
				if err := o.Check(f.preset); err != nil {
					return err
				}
				return f.cluster.clear(cmd.Context(), f.preset, args, cmd.OutOrStdout(), cmd.ErrOrStderr(), false)
			}
			return j.run(cmd, func(out io.Writer) error {
				ts, err := f.targets()
				if err != nil {
					return err
				}
				for _, t := range ts {
					res, err := cache.Clear(t.Root, t.Preset, o)
					if werr := cache.WriteResult(out, j.label(t.Root), res); werr != nil {
						return werr
					}
					if err != nil {
						return fmt.Errorf("clear %s: %w", j.label(t.Root), err)
					}
				}
				return nil
			})
		},
	}
	f.add(cmd)
	j.add(cmd)
	cmd.Flags().StringVar(&o.Part, "part", cache.ClearAll, "what to remove: all, snapshots or stores")
	cmd.Flags().StringVar(&o.Store, "store", "", "with --part stores: only this store directory (e.g. store, mod, build)")
	cmd.Flags().DurationVar(&o.Wait, "wait", 0, "wait this long for running setups to release the stores")
	return cmd
}

func newCacheInvalidateCmd() *cobra.Command {
	var f cacheFlags
	var j jobFlags
	cmd := &cobra.Command{
		Use:   "invalidate KEY (--path DIR | -n NS --claim NAME | -n NS --release R --preset P) [--preset P]",
		Short: "Remove the snapshot of one key (12 to 64 hex digits of the summary line's key=)",
		Long: `invalidate removes the snapshot of one key and its use record; the next
setup with that key installs and publishes a new snapshot. KEY may be the
20 digits a summary line prints. A setup restoring that snapshot right now
either finishes from the files it has open or falls back to an install.

In a cluster (-n NS with --claim, or --release with --preset) a short Job
mounts the PVC read-write and runs this same command on it.`,
		Example: `  prewarm cache invalidate 2b026b9df535cd84d99e --path /cache/npm
  prewarm cache invalidate 2b026b9df535cd84d99e -n agents --release my-app --preset npm`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cache.CheckKey(args[0]); err != nil {
				return err
			}
			cluster, err := f.clusterWay()
			if err != nil {
				return err
			}
			if cluster {
				return f.cluster.clear(cmd.Context(), f.preset, []string{"invalidate", args[0]}, cmd.OutOrStdout(), cmd.ErrOrStderr(), true)
			}
			return j.run(cmd, func(out io.Writer) error {
				ts, err := f.targets()
				if err != nil {
					return err
				}
				if len(ts) != 1 {
					return fmt.Errorf("--path %s holds %d caches; pass --preset", f.path, len(ts))
				}
				res, err := cache.Invalidate(ts[0].Root, ts[0].Preset, args[0])
				if err != nil {
					return err
				}
				return cache.WriteResult(out, j.label(ts[0].Root), res)
			})
		},
	}
	f.add(cmd)
	j.add(cmd)
	return cmd
}
