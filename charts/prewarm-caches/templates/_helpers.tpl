{{/* Chart name, truncated to 63 characters (templates-go prewarm.name). */}}
{{- define "prewarm-caches.name" -}}
{{- include "prewarm.name" . -}}
{{- end -}}

{{/* Fully qualified app name (templates-go prewarm.fullname), at most 63 characters. */}}
{{- define "prewarm-caches.fullname" -}}
{{- include "prewarm.fullname" . -}}
{{- end -}}

{{/* Selector labels: name and instance only (they never change on upgrade). */}}
{{- define "prewarm-caches.selectorLabels" -}}
{{- include "prewarm.selectorLabels" . | fromJson | toYaml -}}
{{- end -}}

{{/*
prewarm-caches.labels: the standard labels of an object as YAML, merged with
the object's own extra labels and commonLabels (templates-go
prewarm.labels). Precedence: standard labels, then .extra, then
commonLabels. Call with (dict "ctx" $ "component" "cache" "extra" $labels).
*/}}
{{- define "prewarm-caches.labels" -}}
{{- include "prewarm.labels" (dict "root" .ctx "component" .component "extra" (get . "extra" | default dict)) | fromJson | toYaml -}}
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
prewarm-caches.suffixedName: <fullname>-<suffix> in at most .max
characters (templates-go prewarm.suffixedName). Call with
(dict "ctx" $ "suffix" "npm" "max" 63).
*/}}
{{- define "prewarm-caches.suffixedName" -}}
{{- include "prewarm.suffixedName" (dict "root" .ctx "suffix" .suffix "max" .max) -}}
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
{{- $claim := get $c "claimName" | default (include "prewarm-caches.suffixedName" (dict "ctx" $ctx "suffix" $name "max" 63)) -}}
{{- $size := include "prewarm.cache.size" (dict "cache" $name "size" (get $c "size") "key" (printf "%s.size" $key) "existing" (lookup "v1" "PersistentVolumeClaim" $ctx.Release.Namespace $claim)) -}}
{{- $sizeBytes := include "prewarm.quantityBytes" (dict "q" $size "key" (printf "%s.size" $key)) | int64 -}}
{{- $modes := get $c "accessModes" | default (list "ReadWriteMany") -}}
{{- $mode := get $c "volumeMode" | default "Filesystem" -}}
{{- if ne $mode "Filesystem" -}}
{{- fail (printf "%s.volumeMode: only Filesystem is supported, not %q" $key $mode) -}}
{{- end -}}
{{- $keep := true -}}
{{- if hasKey $c "keep" }}{{ $keep = get $c "keep" }}{{ end -}}
{{- $p := get $c "prune" | default dict -}}
{{- $pruneEnabled := true -}}
{{- if hasKey $p "enabled" }}{{ $pruneEnabled = get $p "enabled" }}{{ end -}}
{{- $pct := get $p "budgetPercent" -}}
{{- $from := printf "%s.prune.budgetPercent" $key -}}
{{- if or (kindIs "invalid" $pct) (eq (toString $pct) "") -}}
{{- $pct = $ctx.Values.pruner.budgetPercent -}}
{{- $from = "pruner.budgetPercent" -}}
{{- end -}}
{{- $max := get $p "maxBytes" -}}
{{- if and (not (or (kindIs "invalid" $max) (eq (toString $max) ""))) (ne $from "pruner.budgetPercent") -}}
{{- fail (printf "%s.prune: set budgetPercent or maxBytes, not both" $key) -}}
{{- end -}}
{{- $b := include "prewarm.cache.budget" (dict "key" $key "size" $size "sizeBytes" $sizeBytes "percent" $pct "percentFrom" $from "maxBytes" $max) | fromJson -}}
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
{{- $_ = set $out "prune" (dict "enabled" (and $ctx.Values.pruner.enabled $pruneEnabled) "schedule" $schedule "budgetBytes" $b.bytes "budgetFrom" $b.from "budgetText" $b.text) -}}
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

{{/*
prewarm-caches.podSecurityContext: pruner.podSecurityContext laid over the
Task pods' (templates-go prewarm.pod.securityContext), as JSON.
*/}}
{{- define "prewarm-caches.podSecurityContext" -}}
{{- include "prewarm.overlay" (dict "base" (include "prewarm.pod.securityContext" (dict) | fromJson) "over" .Values.pruner.podSecurityContext) -}}
{{- end -}}

{{/*
prewarm-caches.exporterPodSecurityContext: metrics.podSecurityContext laid
over the Task pods' (without fsGroupChangePolicy: the exporter only reads
the caches), as JSON.
*/}}
{{- define "prewarm-caches.exporterPodSecurityContext" -}}
{{- $base := omit (include "prewarm.pod.securityContext" (dict) | fromJson) "fsGroupChangePolicy" -}}
{{- include "prewarm.overlay" (dict "base" $base "over" .Values.metrics.podSecurityContext) -}}
{{- end -}}
