{{/*
Pod and container security contexts of every pod the chart runs (warmer,
pruner) and of the setup containers it injects into Kelos' Jobs: the values
podSecurityContext and securityContext, whose defaults are Pod Security
"restricted" with the Task pod's identity (UID/GID 61100).
*/}}
{{- define "prewarm-workspace.podSecurityContext" -}}
{{- toYaml .Values.podSecurityContext -}}
{{- end -}}

{{- define "prewarm-workspace.containerSecurityContext" -}}
{{- toYaml .Values.securityContext -}}
{{- end -}}

{{/* Pod-level settings shared by the warmer and pruner pods: service account, pull secrets. */}}
{{- define "prewarm-workspace.podCommon" -}}
{{- with .Values.serviceAccount.name }}
serviceAccountName: {{ . }}
{{- end }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* Workspace volumes (name, mountPath, subPath, readOnly, source) as pod volumes. */}}
{{- define "prewarm-workspace.podVolumes" -}}
{{- $out := list (dict "name" "workspace" "emptyDir" (dict)) -}}
{{- range . }}{{ $out = append $out (merge (dict "name" .name) .source) }}{{ end -}}
{{- toYaml $out -}}
{{- end -}}

{{/* Mounts for the same list: the workspace plus every volume. */}}
{{- define "prewarm-workspace.podMounts" -}}
{{- $out := list (dict "name" "workspace" "mountPath" "/workspace") -}}
{{- range . -}}
{{- $m := dict "name" .name "mountPath" .mountPath -}}
{{- if .subPath }}{{ $_ := set $m "subPath" .subPath }}{{ end -}}
{{- if .readOnly }}{{ $_ := set $m "readOnly" true }}{{ end -}}
{{- $out = append $out $m -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}
