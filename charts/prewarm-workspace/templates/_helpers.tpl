{{/* Chart name, truncated to 63 characters (templates-go prewarm.name). */}}
{{- define "prewarm-workspace.name" -}}
{{- include "prewarm.name" . -}}
{{- end -}}

{{/* Full name (templates-go prewarm.fullname): release-chart, at most 63 characters. */}}
{{- define "prewarm-workspace.fullname" -}}
{{- include "prewarm.fullname" . -}}
{{- end -}}

{{/*
A name with a suffix, at most .max characters (default 63; CronJobs take
52): templates-go prewarm.suffixedName.
*/}}
{{- define "prewarm-workspace.suffixed" -}}
{{- include "prewarm.suffixedName" (dict "root" .root "suffix" .suffix "max" (get . "max" | default 63)) -}}
{{- end -}}

{{/* The name of a CronJob with suffix .suffix: at most 52 characters. */}}
{{- define "prewarm-workspace.cronJobName" -}}
{{- include "prewarm-workspace.suffixed" (dict "root" .root "suffix" .suffix "max" 52) -}}
{{- end -}}

{{/* Selector labels: name and instance only, so they never change on upgrade. */}}
{{- define "prewarm-workspace.selectorLabels" -}}
{{- include "prewarm.selectorLabels" . | fromJson | toYaml -}}
{{- end -}}

{{/*
The standard labels merged with commonLabels as one map (templates-go
prewarm.labels), so a key is never written twice: the chart's own
app.kubernetes.io/* and helm.sh/chart labels win over commonLabels
(selectors depend on them). Each commonLabels key and value is checked
against Kubernetes' label syntax.
*/}}
{{- define "prewarm-workspace.labels" -}}
{{- include "prewarm-workspace.labelMap" (dict "root" . "component" "") -}}
{{- end -}}

{{/* Labels plus app.kubernetes.io/component; ctx: (dict "root" $ "component" "x"). */}}
{{- define "prewarm-workspace.componentLabels" -}}
{{- include "prewarm-workspace.labelMap" . -}}
{{- end -}}

{{- define "prewarm-workspace.labelMap" -}}
{{- include "prewarm.labels" (dict "root" .root "component" .component "extra" (get . "extra" | default dict)) | fromJson | toYaml -}}
{{- end -}}

{{- define "prewarm-workspace.annotations" -}}
{{- with .Values.commonAnnotations }}{{ toYaml . }}{{ end -}}
{{- end -}}

{{/* image dict {repository, tag, digest} -> reference string; ctx (dict "root" $ "image" $img). */}}
{{- define "prewarm-workspace.image" -}}
{{- $i := .image -}}
{{- $ref := $i.repository -}}
{{- if $i.tag }}{{ $ref = printf "%s:%s" $ref $i.tag }}{{ end -}}
{{- if $i.digest }}{{ $ref = printf "%s@%s" $ref $i.digest }}{{ end -}}
{{- include "prewarm-workspace.withRegistry" (dict "root" .root "ref" $ref) -}}
{{- end -}}

{{/*
An image reference with global.imageRegistry put in front (a mirror such
as harbor.example.com/dockerhub): the reference's own registry, when its
first path part names one (has a '.' or ':', or is localhost), is replaced.
*/}}
{{- define "prewarm-workspace.withRegistry" -}}
{{- $reg := .root.Values.global.imageRegistry | trimSuffix "/" -}}
{{- $ref := .ref -}}
{{- if $reg -}}
{{- $parts := splitList "/" $ref -}}
{{- $first := first $parts -}}
{{- if and (gt (len $parts) 1) (or (contains "." $first) (contains ":" $first) (eq $first "localhost")) -}}
{{- $ref = join "/" (rest $parts) -}}
{{- end -}}
{{- $ref = printf "%s/%s" $reg $ref -}}
{{- end -}}
{{- $ref -}}
{{- end -}}

{{/* The presets in render order, a JSON list (templates-go prewarm.preset.names). */}}
{{- define "prewarm-workspace.presetNames" -}}
{{- (include "prewarm.preset.names" (dict) | fromJson).items | toJson -}}
{{- end -}}

{{/*
The cache claim of preset .eco: presets.<eco>.cache.claimName, else
caches.<eco>.existingClaim, else the PVC this release creates.
*/}}
{{- define "prewarm-workspace.cacheClaim" -}}
{{- $preset := get .root.Values.presets .eco -}}
{{- $cache := get .root.Values.caches .eco | default dict -}}
{{- $explicit := (get $preset "cache" | default dict).claimName -}}
{{- if $explicit -}}{{ $explicit }}
{{- else if $cache.existingClaim -}}{{ $cache.existingClaim }}
{{- else -}}{{ include "prewarm-workspace.suffixed" (dict "root" .root "suffix" (printf "%s-cache" .eco)) }}
{{- end -}}
{{- end -}}

{{/*
The size of the cache PVC of preset .eco (templates-go prewarm.cache.size):
caches.<eco>.size, else the existing claim's size (an upgrade keeps it),
else the one default size table.
*/}}
{{- define "prewarm-workspace.cacheSize" -}}
{{- $claim := include "prewarm-workspace.cacheClaim" . -}}
{{- include "prewarm.cache.size" (dict "cache" .eco "size" (get .root.Values.caches .eco).size "key" (printf "caches.%s.size" .eco) "existing" (lookup "v1" "PersistentVolumeClaim" .root.Release.Namespace $claim)) -}}
{{- end -}}

{{/* "true" when this release creates the cache PVC of preset .eco. */}}
{{- define "prewarm-workspace.createsCache" -}}
{{- $preset := get .root.Values.presets .eco -}}
{{- $cache := get .root.Values.caches .eco | default dict -}}
{{- if and $preset.enabled (not $cache.existingClaim) (not (get $preset "cache" | default dict).claimName) }}true{{ end -}}
{{- end -}}

{{/*
Options handed to the shared preset template: the values of presets.<eco>
with the claim resolved. For the warmer (.warmer true) the cache is
writable and the preset is told it is the trusted writer.
*/}}
{{- define "prewarm-workspace.presetOptions" -}}
{{- $o := deepCopy (get .root.Values.presets .eco) -}}
{{- $cache := get $o "cache" | default dict -}}
{{- $_ := set $cache "claimName" (include "prewarm-workspace.cacheClaim" .) -}}
{{- if .warmer -}}
{{- $_ := set $cache "mode" "readWrite" -}}
{{- $_ := set $o "trustedWriter" true -}}
{{- end -}}
{{- $_ := set $o "cache" $cache -}}
{{- toJson $o -}}
{{- end -}}
