{{- /*
cargo: cargo skips file locking on NFS, so pods never share a writable
CARGO_HOME. Every pod (the trusted writer too) uses /workspace/.cargo, which
the script seeds from <cache>/home; only the trusted writer (readWrite)
publishes it back. Build output stays on the workspace EmptyDir.
*/ -}}
{{- define "prewarm.preset.cargo" -}}
{{- $c := dict -}}
{{- $_ := include "prewarm.preset.resolve" (dict "eco" "cargo" "options" . "out" $c) -}}
{{- $env := list
  (dict "name" "CARGO_HOME" "value" "/workspace/.cargo")
  (dict "name" "CARGO_TARGET_DIR" "value" "/workspace/target")
-}}
{{- $setupEnv := list -}}
{{- with $c.secret }}{{ $setupEnv = append $setupEnv (dict "name" "PREWARM_CARGO_CREDENTIALS" "value" .file) }}{{ end -}}
{{- include "prewarm.preset.emit" (dict "c" $c "env" $env "setupEnv" $setupEnv) -}}
{{- end -}}
