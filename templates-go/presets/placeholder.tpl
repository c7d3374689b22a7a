{{- define "prewarm.preset.placeholder" -}}{{- end -}}
