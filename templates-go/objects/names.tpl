{{- /*
Names and labels of every object the charts create; each chart's own
helpers (prewarm-workspace.*, prewarm-caches.*) call these. .root is the
chart's top-level context ($).
*/ -}}

{{- /* prewarm.name: the chart name (nameOverride wins), at most 63 characters. */ -}}
{{- define "prewarm.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- /*
prewarm.fullname: release-chart unless the release name already contains
the chart name (fullnameOverride wins); at most 63 characters, since
Kubernetes names are DNS labels.
*/ -}}
{{- define "prewarm.fullname" -}}
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

{{- /* prewarm.chart: chart name and version, for the helm.sh/chart label. */ -}}
{{- define "prewarm.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- /*
prewarm.suffixedName: <fullname>-<suffix> in at most .max characters
(default 63; CronJobs take 52, since the Job controller appends an
11-character suffix): the fullname is cut first, so the suffix survives
and two suffixes never collapse into one name. (dict "root" $ "suffix" "npm-pruner" "max" 52)
*/ -}}
{{- define "prewarm.suffixedName" -}}
{{- $max := get . "max" | default 63 | int -}}
{{- $prefix := include "prewarm.fullname" .root | trunc (int (sub (sub $max 1) (len .suffix))) | trimSuffix "-" -}}
{{- printf "%s-%s" $prefix .suffix -}}
{{- end -}}

{{- /*
prewarm.labels: an object's labels as JSON, one map, so a key is never
written twice: the chart's standard labels (helm.sh/chart,
app.kubernetes.io/*, and app.kubernetes.io/component when .component is
set) win over the object's own .extra, which win over commonLabels.
Every commonLabels key and value is checked against Kubernetes' label
syntax. (dict "root" $ "component" "cache" "extra" (dict "prewarm.dev/cache" "npm"))
*/ -}}
{{- define "prewarm.labels" -}}
{{- $root := .root -}}
{{- $std := dict
  "helm.sh/chart" (include "prewarm.chart" $root)
  "app.kubernetes.io/name" (include "prewarm.name" $root)
  "app.kubernetes.io/instance" $root.Release.Name
  "app.kubernetes.io/version" ($root.Chart.AppVersion | toString)
  "app.kubernetes.io/managed-by" $root.Release.Service
  "app.kubernetes.io/part-of" "prewarm"
-}}
{{- with get . "component" }}{{ $_ := set $std "app.kubernetes.io/component" . }}{{ end -}}
{{- $common := $root.Values.commonLabels | default dict -}}
{{- range $k := keys $common | sortAlpha -}}
{{- include "prewarm.check.label" (dict "key" (printf "commonLabels.%s" $k) "name" $k "v" (get $common $k)) -}}
{{- end -}}
{{- toJson (merge $std (deepCopy (get . "extra" | default dict)) (deepCopy $common)) -}}
{{- end -}}

{{- /* prewarm.selectorLabels: name and instance only, so they never change on upgrade (JSON). */ -}}
{{- define "prewarm.selectorLabels" -}}
{{- toJson (dict "app.kubernetes.io/name" (include "prewarm.name" .) "app.kubernetes.io/instance" .Release.Name) -}}
{{- end -}}
