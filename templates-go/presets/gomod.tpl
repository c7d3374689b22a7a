{{- /*
gomod: module cache and build cache on the volume (both are safe to share
where file locking works). readOnly gives the pod its own caches and serves
the shared module cache as a file GOPROXY, falling back to the network.
snapshots: true (off by default; for a cache on a network volume) gives
the pod its own caches too, restored from snapshots on the volume, in both
modes (see prewarm.script.gomod).
*/ -}}
{{- define "prewarm.preset.gomod" -}}
{{- $c := dict -}}
{{- $_ := include "prewarm.preset.resolve" (dict "eco" "gomod" "options" . "out" $c) -}}
{{- $env := list -}}
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
