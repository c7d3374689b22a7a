{{/*
prewarm-caches.exporter.validate: fails naming the value when the metrics
settings break a rule; prints nothing otherwise. Every exporter template
includes it, so each rule fails whichever template renders first.
Rules: monitors and the dashboard need metrics.enabled; ServiceMonitor and
PodMonitor exclude each other; a created ServiceAccount needs the RBAC that
lets it list pods; the pod and container security contexts must stay Pod
Security "restricted"; the image must be pinned.
*/}}
{{- define "prewarm-caches.exporter.validate" -}}
{{- $m := .Values.metrics -}}
{{- if not $m.enabled -}}
{{- range $k := list "serviceMonitor" "podMonitor" "dashboard" -}}
{{- if (get $m $k).enabled -}}
{{- fail (printf "metrics.%s.enabled needs metrics.enabled: true (there is no exporter to scrape or chart)" $k) -}}
{{- end -}}
{{- end -}}
{{- else -}}
{{- if and $m.serviceMonitor.enabled $m.podMonitor.enabled -}}
{{- fail "metrics.serviceMonitor.enabled and metrics.podMonitor.enabled: enable one, not both (Prometheus would scrape the exporter twice and double every counter in sums)" -}}
{{- end -}}
{{- if and $m.serviceAccount.create (not $m.rbac.create) -}}
{{- fail "metrics.rbac.create: false with metrics.serviceAccount.create: true leaves the new ServiceAccount unable to list pods; keep rbac.create or set serviceAccount.create: false and an existing serviceAccount.name" -}}
{{- end -}}
{{- if and (not $m.serviceAccount.create) (not $m.serviceAccount.name) -}}
{{- fail "metrics.serviceAccount.name: required when metrics.serviceAccount.create is false" -}}
{{- end -}}
{{- $psc := include "prewarm-caches.exporterPodSecurityContext" . | fromJson -}}
{{- if ne (toString $psc.runAsNonRoot) "true" -}}
{{- fail "metrics.podSecurityContext.runAsNonRoot: must be true (Pod Security restricted)" -}}
{{- end -}}
{{- if hasKey $psc "runAsUser" }}{{ if eq (int64 $psc.runAsUser) 0 -}}
{{- fail "metrics.podSecurityContext.runAsUser: must not be 0 (Pod Security restricted)" -}}
{{- end }}{{ end -}}
{{- $psec := ($psc.seccompProfile | default dict).type | default "" -}}
{{- if not (has $psec (list "RuntimeDefault" "Localhost")) -}}
{{- fail (printf "metrics.podSecurityContext.seccompProfile.type: must be RuntimeDefault or Localhost (Pod Security restricted), not %q" $psec) -}}
{{- end -}}
{{- $sc := $m.securityContext | default dict -}}
{{- if ne (toString $sc.allowPrivilegeEscalation) "false" -}}
{{- fail "metrics.securityContext.allowPrivilegeEscalation: must be false (Pod Security restricted)" -}}
{{- end -}}
{{- if $sc.privileged -}}
{{- fail "metrics.securityContext.privileged: must not be true (Pod Security restricted)" -}}
{{- end -}}
{{- $caps := $sc.capabilities | default dict -}}
{{- if not (has "ALL" ($caps.drop | default list)) -}}
{{- fail "metrics.securityContext.capabilities.drop: must contain ALL (Pod Security restricted)" -}}
{{- end -}}
{{- if $caps.add -}}
{{- fail (printf "metrics.securityContext.capabilities.add: the exporter needs no capabilities, not %v" $caps.add) -}}
{{- end -}}
{{- with ($sc.seccompProfile | default dict).type -}}
{{- if not (has . (list "RuntimeDefault" "Localhost")) -}}
{{- fail (printf "metrics.securityContext.seccompProfile.type: must be RuntimeDefault or Localhost (Pod Security restricted), not %q" .) -}}
{{- end -}}
{{- end -}}
{{- if and (not $m.image.tag) (not $m.image.digest) -}}
{{- fail "metrics.image: set metrics.image.tag or metrics.image.digest; an unpinned image would change under the exporter" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* prewarm-caches.exporter.name: <fullname>-exporter. */}}
{{- define "prewarm-caches.exporter.name" -}}
{{- include "prewarm-caches.suffixedName" (dict "ctx" . "suffix" "exporter" "max" 63) -}}
{{- end -}}

{{/* prewarm-caches.exporter.serviceAccountName */}}
{{- define "prewarm-caches.exporter.serviceAccountName" -}}
{{- if .Values.metrics.serviceAccount.create -}}
{{- .Values.metrics.serviceAccount.name | default (include "prewarm-caches.exporter.name" .) -}}
{{- else -}}
{{- .Values.metrics.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* prewarm-caches.exporter.selectorLabels: the exporter pod's selector. */}}
{{- define "prewarm-caches.exporter.selectorLabels" -}}
{{ include "prewarm-caches.selectorLabels" . }}
app.kubernetes.io/component: exporter
{{- end -}}

{{/* prewarm-caches.exporter.image: repository[:tag][@digest]. */}}
{{- define "prewarm-caches.exporter.image" -}}
{{- $img := .Values.metrics.image -}}
{{- $img.repository -}}
{{- with $img.tag }}:{{ . }}{{ end -}}
{{- with $img.digest }}@{{ . }}{{ end -}}
{{- end -}}
