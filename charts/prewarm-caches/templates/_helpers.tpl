{{/*
Chart name, truncated to 63 characters (nameOverride wins).
*/}}
{{- define "prewarm-caches.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Fully qualified app name, truncated to 63 characters (some Kubernetes name
fields are limited to this by the DNS naming spec). A release name that
already contains the chart name is used as is.
*/}}
{{- define "prewarm-caches.fullname" -}}
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
{{- define "prewarm-caches.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Selector labels: name and instance only (they never change on upgrade).
*/}}
{{- define "prewarm-caches.selectorLabels" -}}
app.kubernetes.io/name: {{ include "prewarm-caches.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/*
prewarm-caches.labels: the standard labels of an object as YAML, merged with
commonLabels and the object's own extra labels. Precedence: standard labels,
then .extra, then commonLabels. Call with
(dict "ctx" $ "component" "cache" "extra" $labels).
*/}}
{{- define "prewarm-caches.labels" -}}
{{- $ctx := .ctx -}}
{{- $std := dict
  "helm.sh/chart" (include "prewarm-caches.chart" $ctx)
  "app.kubernetes.io/name" (include "prewarm-caches.name" $ctx)
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
prewarm-caches.annotations: commonAnnotations merged with .extra (.extra
wins), as YAML; empty when there are none. Call with
(dict "ctx" $ "extra" $annotations).
*/}}
{{- define "prewarm-caches.annotations" -}}
{{- $all := merge (deepCopy (.extra | default dict)) (deepCopy (.ctx.Values.commonAnnotations | default dict)) -}}
{{- if $all }}{{ toYaml $all }}{{ end -}}
{{- end -}}

{{/*
prewarm-caches.suffixedName: <fullname>-<suffix>, with fullname cut so the
result fits .max characters and the suffix always survives. Call with
(dict "ctx" $ "suffix" "npm" "max" 63).
*/}}
{{- define "prewarm-caches.suffixedName" -}}
{{- $room := sub .max (add1 (len .suffix)) | int -}}
{{- printf "%s-%s" (include "prewarm-caches.fullname" .ctx | trunc $room | trimSuffix "-") .suffix -}}
{{- end -}}

{{/*
prewarm-caches.resolve: validates cache .name (the raw map .cache) and
returns it as JSON with every default applied: name, key (values path),
enabled, size, sizeBytes, storageClass, accessModes, volumeMode, keep,
claimName, annotations, labels and prune {enabled, schedule, budgetBytes,
budgetFrom, budgetText}. Byte counts are decimal strings (JSON numbers would come back as
floats). Call with (dict "ctx" $ "name" "npm" "cache" $c).
*/}}
{{- define "prewarm-caches.resolve" -}}
{{- $ctx := .ctx -}}
{{- $name := .name -}}
{{- $key := printf "caches.%s" $name -}}
{{- if not (regexMatch "^[a-z0-9]([-a-z0-9]{0,28}[a-z0-9])?$" $name) -}}
{{- fail (printf "%s: cache names must be DNS-1123 labels of at most 30 characters (lower-case letters, digits, '-'), not %q" $key $name) -}}
{{- end -}}
{{- $c := .cache | default dict -}}
{{- if not (kindIs "map" $c) -}}
{{- fail (printf "%s: must be a map of cache settings" $key) -}}
{{- end -}}
{{- $enabled := true -}}
{{- if hasKey $c "enabled" }}{{ $enabled = get $c "enabled" }}{{ end -}}
{{- $out := dict "name" $name "key" $key "enabled" $enabled -}}
{{- if $enabled -}}
{{- $size := get $c "size" | default "" | toString -}}
{{- if not $size -}}
{{- fail (printf "%s.size: is required for an enabled cache (for example 20Gi)" $key) -}}
{{- end -}}
{{- $sizeBytes := include "prewarm.quantityBytes" (dict "q" $size "key" (printf "%s.size" $key)) | int64 -}}
{{- $modes := get $c "accessModes" | default (list "ReadWriteMany") -}}
{{- $mode := get $c "volumeMode" | default "Filesystem" -}}
{{- if ne $mode "Filesystem" -}}
{{- fail (printf "%s.volumeMode: only Filesystem is supported, not %q" $key $mode) -}}
{{- end -}}
{{- $keep := true -}}
{{- if hasKey $c "keep" }}{{ $keep = get $c "keep" }}{{ end -}}
{{- $claim := get $c "claimName" | default (include "prewarm-caches.suffixedName" (dict "ctx" $ctx "suffix" $name "max" 63)) -}}
{{- $p := get $c "prune" | default dict -}}
{{- $pruneEnabled := true -}}
{{- if hasKey $p "enabled" }}{{ $pruneEnabled = get $p "enabled" }}{{ end -}}
{{- $pct := get $p "budgetPercent" -}}
{{- $max := get $p "maxBytes" -}}
{{- $budget := 0 -}}
{{- $from := "" -}}
{{- $text := "" -}}
{{- $pctSet := not (or (kindIs "invalid" $pct) (eq (toString $pct) "")) -}}
{{- $maxSet := not (or (kindIs "invalid" $max) (eq (toString $max) "")) -}}
{{- if and $pctSet $maxSet -}}
{{- fail (printf "%s.prune: set budgetPercent or maxBytes, not both" $key) -}}
{{- else if $maxSet -}}
{{- $budget = include "prewarm.quantityBytes" (dict "q" $max "key" (printf "%s.prune.maxBytes" $key) "bytes" true) | int64 -}}
{{- if gt $budget $sizeBytes -}}
{{- fail (printf "%s.prune.maxBytes: %v (%d bytes) exceeds %s.size %s (%d bytes)" $key $max $budget $key $size $sizeBytes) -}}
{{- end -}}
{{- $from = printf "%s.prune.maxBytes" $key -}}
{{- $text = printf "maxBytes %v" $max -}}
{{- else -}}
{{- if not $pctSet -}}
{{- $pct = $ctx.Values.pruner.budgetPercent -}}
{{- $from = "pruner.budgetPercent" -}}
{{- else -}}
{{- $from = printf "%s.prune.budgetPercent" $key -}}
{{- end -}}
{{- $pct = int64 $pct -}}
{{- if or (lt $pct 1) (gt $pct 100) -}}
{{- fail (printf "%s: budget percentage must be between 1 and 100, not %d" $from $pct) -}}
{{- end -}}
{{- $text = printf "%d%% of %s" $pct $size -}}
{{- if lt $sizeBytes 92233720368547758 -}}
{{- $budget = div (mul $sizeBytes $pct) 100 -}}
{{- else -}}
{{- $budget = mul (div $sizeBytes 100) $pct -}}
{{- end -}}
{{- end -}}
{{- $schedule := get $p "schedule" | default $ctx.Values.pruner.schedule -}}
{{- $_ := set $out "size" $size -}}
{{- $_ = set $out "sizeBytes" (toString $sizeBytes) -}}
{{- $_ = set $out "storageClass" (get $c "storageClass" | default "" | toString) -}}
{{- $_ = set $out "accessModes" $modes -}}
{{- $_ = set $out "volumeMode" $mode -}}
{{- $_ = set $out "keep" $keep -}}
{{- $_ = set $out "claimName" $claim -}}
{{- $ann := get $c "annotations" | default dict -}}
{{- range $k := keys $ann | sortAlpha }}{{ include "prewarm.check.annotationKey" (dict "key" (printf "%s.annotations.%s" $key $k) "name" $k) }}{{ end -}}
{{- $lab := get $c "labels" | default dict -}}
{{- range $k := keys $lab | sortAlpha }}{{ include "prewarm.check.label" (dict "key" (printf "%s.labels.%s" $key $k) "name" $k "v" (get $lab $k)) }}{{ end -}}
{{- $_ = set $out "annotations" $ann -}}
{{- $_ = set $out "labels" $lab -}}
{{- $_ = set $out "prune" (dict "enabled" (and $ctx.Values.pruner.enabled $pruneEnabled) "schedule" $schedule "budgetBytes" (toString $budget) "budgetFrom" $from "budgetText" $text) -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/*
prewarm-caches.caches: every enabled cache, resolved, as a JSON list sorted
by name. Fails when two caches would share a PVC or CronJob name.
*/}}
{{- define "prewarm-caches.caches" -}}
{{- $common := .Values.commonLabels | default dict -}}
{{- range $k := keys $common | sortAlpha }}{{ include "prewarm.check.label" (dict "key" (printf "commonLabels.%s" $k) "name" $k "v" (get $common $k)) }}{{ end -}}
{{- $ca := .Values.commonAnnotations | default dict -}}
{{- range $k := keys $ca | sortAlpha }}{{ include "prewarm.check.annotationKey" (dict "key" (printf "commonAnnotations.%s" $k) "name" $k) }}{{ end -}}
{{- $ctx := . -}}
{{- $out := list -}}
{{- $claims := dict -}}
{{- range $name, $c := .Values.caches -}}
{{- $r := include "prewarm-caches.resolve" (dict "ctx" $ctx "name" $name "cache" $c) | fromJson -}}
{{- if $r.enabled -}}
{{- with get $claims $r.claimName -}}
{{- fail (printf "caches.%s.claimName: PVC name %q is already used by caches.%s; set a distinct claimName" $name $r.claimName .) -}}
{{- end -}}
{{- $_ := set $claims $r.claimName $name -}}
{{- $out = append $out $r -}}
{{- end -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/*
prewarm-caches.image: repository[:tag][@digest]; tag or digest is required.
*/}}
{{- define "prewarm-caches.image" -}}
{{- $img := .Values.pruner.image -}}
{{- if and (not $img.tag) (not $img.digest) -}}
{{- fail "pruner.image: set pruner.image.tag or pruner.image.digest; an unpinned image would change under the pruner" -}}
{{- end -}}
{{- $img.repository -}}
{{- with $img.tag }}:{{ . }}{{ end -}}
{{- with $img.digest }}@{{ . }}{{ end -}}
{{- end -}}
