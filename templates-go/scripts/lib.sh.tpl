{{- define "prewarm.script.lib" -}}
# prewarm shared library (placeholder; replaced by the scripts work)
prewarm_log() { printf 'prewarm: %s\n' "$*" >&2; }
{{- end -}}
