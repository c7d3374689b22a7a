{{/*
Chart name, truncated to 63 characters (nameOverride wins).
*/}}
{{- define "prewarm-policy.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Fully qualified app name, truncated to 63 characters (some Kubernetes name
fields are limited to this by the DNS naming spec). A release name that
already contains the chart name is used as is.
*/}}
{{- define "prewarm-policy.fullname" -}}
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
Chart name and version, for the helm.sh/chart label.
*/}}
{{- define "prewarm-policy.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Selector labels: name and instance only (they never change on upgrade).
*/}}
{{- define "prewarm-policy.selectorLabels" -}}
app.kubernetes.io/name: {{ include "prewarm-policy.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/*
prewarm-policy.labels: the standard labels of an object as YAML, merged with
commonLabels and the object's own extra labels. Precedence: standard labels,
then .extra, then commonLabels. Call with
(dict "ctx" $ "component" "admission-policy").
*/}}
{{- define "prewarm-policy.labels" -}}
{{- $ctx := .ctx -}}
{{- $std := dict
  "helm.sh/chart" (include "prewarm-policy.chart" $ctx)
  "app.kubernetes.io/name" (include "prewarm-policy.name" $ctx)
  "app.kubernetes.io/instance" $ctx.Release.Name
  "app.kubernetes.io/version" ($ctx.Chart.AppVersion | toString)
  "app.kubernetes.io/managed-by" $ctx.Release.Service
  "app.kubernetes.io/component" .component
  "app.kubernetes.io/part-of" "prewarm"
-}}
{{- $all := merge $std (deepCopy (.extra | default dict)) (deepCopy ($ctx.Values.commonLabels | default dict)) -}}
{{- toYaml $all -}}
{{- end -}}

{{/*
prewarm-policy.annotations: commonAnnotations as YAML; empty when none.
*/}}
{{- define "prewarm-policy.annotations" -}}
{{- with .Values.commonAnnotations }}{{ toYaml . }}{{ end -}}
{{- end -}}

{{/*
prewarm-policy.sources: every corev1.VolumeSource field (Kubernetes 1.37),
as JSON, in the API's order. The CRD's schema carries each of them.
*/}}
{{- define "prewarm-policy.sources" -}}
{{- toJson (list "hostPath" "emptyDir" "gcePersistentDisk" "awsElasticBlockStore" "gitRepo" "secret" "nfs" "iscsi" "glusterfs" "persistentVolumeClaim" "rbd" "flexVolume" "cinder" "cephfs" "flocker" "downwardAPI" "fc" "azureFile" "configMap" "vsphereVolume" "quobyte" "azureDisk" "photonPersistentDisk" "projected" "portworxVolume" "scaleIO" "storageos" "csi" "ephemeral" "image") -}}
{{- end -}}

{{/*
prewarm-policy.allowedSources: allowedVolumeSources, validated, as JSON.
The schema already refuses hostPath; the template refuses it again so
--skip-schema-validation cannot allow it either.
*/}}
{{- define "prewarm-policy.allowedSources" -}}
{{- $known := include "prewarm-policy.sources" . | fromJsonArray -}}
{{- $allowed := .Values.allowedVolumeSources | default list -}}
{{- range $allowed -}}
{{- if eq . "hostPath" -}}
{{- fail "allowedVolumeSources: hostPath can never be allowed through prewarm-policy" -}}
{{- end -}}
{{- if not (has . $known) -}}
{{- fail (printf "allowedVolumeSources: %q is not a volume source" .) -}}
{{- end -}}
{{- end -}}
{{- toJson $allowed -}}
{{- end -}}

{{/*
prewarm-policy.celHasAny: CEL that is true when .var has any field of
.kinds ("false" for none). Call with (dict "var" "v.source" "kinds" $list).
*/}}
{{- define "prewarm-policy.celHasAny" -}}
{{- $var := .var -}}
{{- $parts := list -}}
{{- range .kinds }}{{ $parts = append $parts (printf "has(%s.%s)" $var .) }}{{ end -}}
{{- if $parts }}{{ join " || " $parts }}{{ else }}false{{ end -}}
{{- end -}}

{{/*
prewarm-policy.celKinds: CEL list of the names of .kinds that .var sets.
*/}}
{{- define "prewarm-policy.celKinds" -}}
{{- $var := .var -}}
{{- $parts := list -}}
{{- range .kinds }}{{ $parts = append $parts (printf "has(%s.%s) ? '%s' : ''" $var . .) }}{{ end -}}
[{{ join ", " $parts }}].filter(k, k != '')
{{- end -}}

{{/*
prewarm-policy.celList: a CEL list literal of single-quoted strings. The
schema keeps quotes and backslashes out of every value used here.
*/}}
{{- define "prewarm-policy.celList" -}}
{{- $parts := list -}}
{{- range . }}{{ $parts = append $parts (printf "'%s'" .) }}{{ end -}}
[{{ join ", " $parts }}]
{{- end -}}

{{/*
prewarm-policy.validate: the rules the schema cannot express.
*/}}
{{- define "prewarm-policy.validate" -}}
{{- $actions := .Values.validationActions | default list -}}
{{- if and (has "Deny" $actions) (has "Warn" $actions) -}}
{{- fail "validationActions: Deny and Warn cannot be combined (use [Deny] or [Deny, Audit] to refuse, [Warn, Audit] for a dry run)" -}}
{{- end -}}
{{- range $i, $e := (.Values.namespaceSelector.matchExpressions | default list) -}}
{{- if and (has $e.operator (list "In" "NotIn")) (not $e.values) -}}
{{- fail (printf "namespaceSelector.matchExpressions[%d]: operator %s needs values" $i $e.operator) -}}
{{- end -}}
{{- if and (has $e.operator (list "Exists" "DoesNotExist")) $e.values -}}
{{- fail (printf "namespaceSelector.matchExpressions[%d]: operator %s takes no values" $i $e.operator) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
prewarm-policy.kv: a map as sorted "k=v" pairs joined by commas.
*/}}
{{- define "prewarm-policy.kv" -}}
{{- $parts := list -}}
{{- range $k, $v := . }}{{ $parts = append $parts (printf "%s=%s" $k $v) }}{{ end -}}
{{- join "," $parts -}}
{{- end -}}
