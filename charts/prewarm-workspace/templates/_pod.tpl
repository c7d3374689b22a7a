{{/* Restricted Pod Security contexts, the same identity as the Task pod. */}}
{{- define "prewarm-workspace.podSecurityContext" -}}
runAsUser: 61100
runAsGroup: 61100
runAsNonRoot: true
fsGroup: 61100
fsGroupChangePolicy: OnRootMismatch
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "prewarm-workspace.containerSecurityContext" -}}
runAsUser: 61100
runAsGroup: 61100
runAsNonRoot: true
allowPrivilegeEscalation: false
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
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
