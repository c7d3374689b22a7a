{{/*
Pod and container security contexts of every pod the chart runs (warmer,
pruner) and of the setup containers it injects into Kelos' Jobs: the values
podSecurityContext and securityContext laid over the Task pod's identity
(templates-go prewarm.pod.securityContext and
prewarm.pod.containerSecurityContext: Pod Security "restricted", UID/GID
61100), as JSON.
*/}}
{{- define "prewarm-workspace.podSecurityContext" -}}
{{- include "prewarm.overlay" (dict "base" (include "prewarm.pod.securityContext" (dict) | fromJson) "over" .Values.podSecurityContext) -}}
{{- end -}}

{{- define "prewarm-workspace.containerSecurityContext" -}}
{{- include "prewarm.overlay" (dict "base" (include "prewarm.pod.containerSecurityContext" (dict) | fromJson) "over" .Values.securityContext) -}}
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
