{{- /*
npm (and pnpm, yarn): node_modules is installed in each workdir by the setup
container (with install snapshots under <cache>/snapshots); the agent reuses
the same stores: <cache>/store (npm), <cache>/pnpm-store, <cache>/yarn.
npm cannot use a read-only cache (EROFS in _cacache/tmp), so a readOnly
preset gives npm a per-pod cache and only reads snapshots from the volume.
*/ -}}
{{- define "prewarm.preset.npm" -}}
{{- $c := dict -}}
{{- $_ := include "prewarm.preset.resolve" (dict "eco" "npm" "options" . "out" $c) -}}
{{- $env := list -}}
{{- if $c.readWrite -}}
{{- $env = concat $env (list
  (dict "name" "npm_config_cache" "value" (printf "%s/store" $c.cache))
  (dict "name" "npm_config_store_dir" "value" (printf "%s/pnpm-store" $c.cache))
  (dict "name" "YARN_CACHE_FOLDER" "value" (printf "%s/yarn" $c.cache))
) -}}
{{- else -}}
{{- $env = concat $env (list
  (dict "name" "npm_config_cache" "value" (printf "%s/.npm" $c.home))
  (dict "name" "npm_config_store_dir" "value" (printf "%s/.local/share/pnpm/store" $c.home))
  (dict "name" "YARN_CACHE_FOLDER" "value" (printf "%s/.cache/yarn" $c.home))
) -}}
{{- end -}}
{{- $env = append $env (dict "name" "YARN_ENABLE_GLOBAL_CACHE" "value" "false") -}}
{{- with $c.secret }}{{ $env = append $env (dict "name" "npm_config_userconfig" "value" .file) }}{{ end -}}
{{- $setupEnv := list (dict "name" "PREWARM_SNAPSHOTS" "value" $c.snapshots) -}}
{{- include "prewarm.preset.emit" (dict "c" $c "env" $env "setupEnv" $setupEnv) -}}
{{- end -}}
