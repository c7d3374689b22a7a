{{/* Chart name, truncated to 63 characters. */}}
{{- define "prewarm-workspace.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Full name: release-chart unless the release name already contains the chart
name; truncated to 63 characters because Kubernetes names are DNS labels.
*/}}
{{- define "prewarm-workspace.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
A name with a suffix, at most .max characters (default 63; CronJobs take
52, since the Job controller appends an 11-character suffix): the prefix is
cut first so the suffix survives truncation and two suffixes never
collapse into one name.
*/}}
{{- define "prewarm-workspace.suffixed" -}}
{{- $max := .max | default 63 | int -}}
{{- $prefix := include "prewarm-workspace.fullname" .root | trunc (int (sub (sub $max 1) (len .suffix))) | trimSuffix "-" -}}
{{- printf "%s-%s" $prefix .suffix -}}
{{- end -}}

{{/* The name of a CronJob with suffix .suffix: at most 52 characters. */}}
{{- define "prewarm-workspace.cronJobName" -}}
{{- include "prewarm-workspace.suffixed" (dict "root" .root "suffix" .suffix "max" 52) -}}
{{- end -}}

{{- define "prewarm-workspace.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Selector labels: name and instance only, so they never change on upgrade. */}}
{{- define "prewarm-workspace.selectorLabels" -}}
app.kubernetes.io/name: {{ include "prewarm-workspace.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/*
The standard labels merged with commonLabels as one map, so a key is never
written twice: the chart's own app.kubernetes.io/* and helm.sh/chart labels
win over commonLabels (selectors depend on them). Each commonLabels key and
value is checked against Kubernetes' label syntax.
*/}}
{{- define "prewarm-workspace.labels" -}}
{{- include "prewarm-workspace.labelMap" (dict "root" . "component" "") -}}
{{- end -}}

{{/* Labels plus app.kubernetes.io/component; ctx: (dict "root" $ "component" "x"). */}}
{{- define "prewarm-workspace.componentLabels" -}}
{{- include "prewarm-workspace.labelMap" . -}}
{{- end -}}

{{- define "prewarm-workspace.labelMap" -}}
{{- $root := .root -}}
{{- $std := dict
  "helm.sh/chart" (include "prewarm-workspace.chart" $root)
  "app.kubernetes.io/name" (include "prewarm-workspace.name" $root)
  "app.kubernetes.io/instance" $root.Release.Name
  "app.kubernetes.io/version" ($root.Chart.AppVersion | toString)
  "app.kubernetes.io/managed-by" $root.Release.Service
  "app.kubernetes.io/part-of" "prewarm"
-}}
{{- if .component }}{{ $_ := set $std "app.kubernetes.io/component" .component }}{{ end -}}
{{- $common := $root.Values.commonLabels | default dict -}}
{{- range $k := keys $common | sortAlpha -}}
{{- include "prewarm.check.label" (dict "key" (printf "commonLabels.%s" $k) "name" $k "v" (get $common $k)) -}}
{{- end -}}
{{- toYaml (merge $std (deepCopy $common)) -}}
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

{{/* The presets in render order; must match pkg/presets.Names(). */}}
{{- define "prewarm-workspace.presetNames" -}}
{{- toJson (list "npm" "pip" "gomod" "cargo" "maven" "gradle" "artifacts") -}}
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
