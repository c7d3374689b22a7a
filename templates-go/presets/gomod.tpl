{{- /*
gomod: the snapshots option picks the shape of the module and build cache.
Unset (the default, "auto"): the agent gets per-pod GOMODCACHE/GOCACHE
under HOME, the volume's module download cache as its first GOPROXY entry,
and the setup picks the shape at run time by the cache volume's file
system: on a network file system the snapshot shape below; on local disk
(writable) the per-pod paths become symlinks to the module and build cache
on the volume, so the agent reads and writes the shared caches directly.
snapshots: false: module cache and build cache on the volume (both are
safe to share where file locking works) in the agent's env. readOnly gives
the pod its own caches and serves the shared module cache as a file
GOPROXY, falling back to the network. snapshots: true (for a cache on a
network volume) gives the pod its own caches too, restored from snapshots
on the volume, in both modes (see prewarm.script.gomod).
*/ -}}
{{- define "prewarm.preset.gomod" -}}
{{- $c := dict -}}
{{- $_ := include "prewarm.preset.resolve" (dict "eco" "gomod" "options" . "out" $c) -}}
{{- $env := list -}}
{{- /* per-pod paths for auto too: its setup links them to the volume's caches on local disk */ -}}
{{- if and $c.readWrite (eq $c.snapshots "false") -}}
{{- $env = concat $env (list
  (dict "name" "GOMODCACHE" "value" (printf "%s/mod" $c.cache))
  (dict "name" "GOCACHE" "value" (printf "%s/build" $c.cache))
  (dict "name" "GOFLAGS" "value" "-modcacherw")
) -}}
{{- else -}}
{{- $env = concat $env (list
  (dict "name" "GOMODCACHE" "value" (printf "%s/go/pkg/mod" $c.home))
  (dict "name" "GOCACHE" "value" (printf "%s/.cache/go-build" $c.home))
  (dict "name" "GOFLAGS" "value" "-modcacherw")
  (dict "name" "GOPROXY" "value" (printf "file://%s/mod/cache/download,https://proxy.golang.org,direct" $c.cache))
) -}}
{{- end -}}
{{- with $c.secret }}{{ $env = append $env (dict "name" "NETRC" "value" .file) }}{{ end -}}
{{- $setupEnv := list (dict "name" "PREWARM_PREBUILD" "value" $c.prebuild) (dict "name" "PREWARM_SNAPSHOTS" "value" $c.snapshots) -}}
{{- include "prewarm.preset.emit" (dict "c" $c "env" $env "setupEnv" $setupEnv) -}}
{{- end -}}
