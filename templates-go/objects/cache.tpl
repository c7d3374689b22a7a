{{- /*
Cache objects both charts create: the cache PVC, its size and the pruner
CronJob. prewarm-workspace (one PVC per enabled preset) and prewarm-caches
(a team's shared PVCs) resolve their own values and call these blocks, so
a cache PVC or pruner is described once. Each emits JSON (the charts write
it with toYaml).
*/ -}}

{{- /*
prewarm.cache.sizes: the default size of each preset's cache PVC. The one
table: both charts' `size: ""` means this.
*/ -}}
{{- define "prewarm.cache.sizes" -}}
{{- toJson (dict "npm" "20Gi" "pip" "10Gi" "gomod" "20Gi" "cargo" "20Gi" "maven" "10Gi" "gradle" "20Gi") -}}
{{- end -}}

{{- /*
prewarm.cache.size: the size a cache PVC requests, as text. Call with
(dict "cache" "npm" "size" $values.size "key" "caches.npm.size" "existing" $pvc)
where $pvc is what Helm's lookup found for the claim (empty under
`helm template`, which has no cluster, and on a first install).
- size set: that size; smaller than the existing claim's request is an
  error naming both, since a PVC cannot shrink.
- size empty, claim exists: the claim's current request, so an upgrade
  never changes the size of a claim (a new default neither shrinks it, which
  Kubernetes refuses, nor grows it, which needs allowVolumeExpansion).
- size empty, no claim: the table's default (prewarm.cache.sizes); a cache
  without one (a cache you add to prewarm-caches) must set size.
*/ -}}
{{- define "prewarm.cache.size" -}}
{{- $current := dig "spec" "resources" "requests" "storage" "" (get . "existing" | default dict) -}}
{{- if not (or (kindIs "invalid" .size) (eq (toString .size) "")) -}}
{{- $bytes := include "prewarm.quantityBytes" (dict "q" .size "key" .key) | int64 -}}
{{- if $current -}}
{{- $have := include "prewarm.quantityBytes" (dict "q" $current "key" (printf "the existing claim of %s" .key)) | int64 -}}
{{- if lt $bytes $have -}}
{{- fail (printf "%s: %v is smaller than the existing claim's %s, and a PVC cannot shrink: set %s or more, or leave size empty to keep the claim as it is" .key .size $current $current) -}}
{{- end -}}
{{- end -}}
{{- .size -}}
{{- else if $current -}}
{{- $current -}}
{{- else -}}
{{- $default := get (include "prewarm.cache.sizes" (dict) | fromJson) .cache -}}
{{- if not $default -}}
{{- fail (printf "%s: is required for an enabled cache without a default size (npm, pip, gomod, cargo, maven and gradle have one), for example 20Gi" .key) -}}
{{- end -}}
{{- $default -}}
{{- end -}}
{{- end -}}

{{- /*
prewarm.cache.budget: the pruner's byte budget as JSON {bytes (a decimal
string: JSON numbers come back as floats), from (the values key it came
from), text}. Call with (dict "key" "caches.npm" "size" "20Gi" "sizeBytes"
21474836480 "percent" 80 "percentFrom" "pruner.budgetPercent" "maxBytes"
$max): maxBytes (bytes or a quantity, at most size) wins when set,
otherwise percent (1-100) of size, rounded down.
*/ -}}
{{- define "prewarm.cache.budget" -}}
{{- $key := .key -}}
{{- $sizeBytes := .sizeBytes | int64 -}}
{{- $max := get . "maxBytes" -}}
{{- if not (or (kindIs "invalid" $max) (eq (toString $max) "")) -}}
{{- $budget := include "prewarm.quantityBytes" (dict "q" $max "key" (printf "%s.prune.maxBytes" $key) "bytes" true) | int64 -}}
{{- if gt $budget $sizeBytes -}}
{{- fail (printf "%s.prune.maxBytes: %v (%d bytes) exceeds %s.size %s (%d bytes)" $key $max $budget $key .size $sizeBytes) -}}
{{- end -}}
{{- toJson (dict "bytes" (toString $budget) "from" (printf "%s.prune.maxBytes" $key) "text" (printf "maxBytes %v" $max)) -}}
{{- else -}}
{{- $pct := .percent | int64 -}}
{{- if or (lt $pct 1) (gt $pct 100) -}}
{{- fail (printf "%s: budget percentage must be between 1 and 100, not %d" .percentFrom $pct) -}}
{{- end -}}
{{- $budget := 0 -}}
{{- if lt $sizeBytes 92233720368547758 -}}
{{- $budget = div (mul $sizeBytes $pct) 100 -}}
{{- else -}}
{{- $budget = mul (div $sizeBytes 100) $pct -}}
{{- end -}}
{{- toJson (dict "bytes" (toString $budget) "from" .percentFrom "text" (printf "%d%% of %s" $pct .size)) -}}
{{- end -}}
{{- end -}}

{{- /*
prewarm.cache.pvc: a cache PersistentVolumeClaim. Call with (dict "name"
"namespace" "labels" "annotations" "keep" "accessModes" "storageClass"
"volumeMode" "size"). keep adds prewarm.keepAnnotations (they win over
.annotations); storageClass "" leaves the class to the cluster default and
"-" sets storageClassName "" (no class).
*/ -}}
{{- define "prewarm.cache.pvc" -}}
{{- $annotations := deepCopy (get . "annotations" | default dict) -}}
{{- if get . "keep" }}{{ $annotations = merge (include "prewarm.keepAnnotations" (dict) | fromJson) $annotations }}{{ end -}}
{{- $meta := dict "name" .name "namespace" .namespace "labels" .labels -}}
{{- with $annotations }}{{ $_ := set $meta "annotations" . }}{{ end -}}
{{- $spec := dict
  "accessModes" .accessModes
  "volumeMode" (get . "volumeMode" | default "Filesystem")
  "resources" (dict "requests" (dict "storage" (toString .size)))
-}}
{{- $class := toString (get . "storageClass") -}}
{{- if eq $class "-" -}}
{{- $_ := set $spec "storageClassName" "" -}}
{{- else if $class -}}
{{- $_ := set $spec "storageClassName" $class -}}
{{- end -}}
{{- toJson (dict "apiVersion" "v1" "kind" "PersistentVolumeClaim" "metadata" $meta "spec" $spec) -}}
{{- end -}}

{{- /*
prewarm.pod.pruner: the pruner's pod spec for one cache. Call with (dict
"cache" "npm" "claimName" ... "subPath" ... "budgetBytes" "8589934592"
"image" ... "imagePullPolicy" ... "argv0" "prewarm-prune" "resources" ...
"podSecurityContext" ... "securityContext" ... "tmp" bool). The cache is
mounted at /cache/<cache>; tmp adds a small emptyDir /tmp (for a read-only
root file system). Go renders it too (pkg/podtemplate.PrunerPodSpec).
*/ -}}
{{- define "prewarm.pod.pruner" -}}
{{- $mount := printf "/cache/%s" .cache -}}
{{- $cacheMount := dict "name" "cache" "mountPath" $mount -}}
{{- with get . "subPath" }}{{ $_ := set $cacheMount "subPath" . }}{{ end -}}
{{- $mounts := list $cacheMount -}}
{{- $volumes := list (dict "name" "cache" "persistentVolumeClaim" (dict "claimName" .claimName)) -}}
{{- if get . "tmp" -}}
{{- $mounts = append $mounts (dict "name" "tmp" "mountPath" "/tmp") -}}
{{- $volumes = append $volumes (dict "name" "tmp" "emptyDir" (dict "sizeLimit" "16Mi")) -}}
{{- end -}}
{{- $c := dict
  "name" "prune"
  "image" .image
  "command" (list "sh" "-c" (include "prewarm.script.prune" (dict)) (get . "argv0" | default "prewarm-prune"))
  "env" (list (dict "name" "PREWARM_CACHE" "value" $mount) (dict "name" "PREWARM_PRUNE_MAX_BYTES" "value" (toString .budgetBytes)))
  "volumeMounts" $mounts
-}}
{{- with get . "imagePullPolicy" }}{{ $_ := set $c "imagePullPolicy" . }}{{ end -}}
{{- with get . "resources" }}{{ $_ := set $c "resources" . }}{{ end -}}
{{- with get . "securityContext" }}{{ $_ := set $c "securityContext" . }}{{ end -}}
{{- $pod := dict "restartPolicy" "Never" "automountServiceAccountToken" false "containers" (list $c) "volumes" $volumes -}}
{{- with get . "podSecurityContext" }}{{ $_ := set $pod "securityContext" . }}{{ end -}}
{{- toJson $pod -}}
{{- end -}}

{{- /*
prewarm.cache.pruner: the pruner CronJob of one cache. Call with (dict
"name" "namespace" "labels" "annotations" "schedule" "timeZone" "suspend"
"concurrencyPolicy" "startingDeadlineSeconds" "successfulJobsHistoryLimit"
"failedJobsHistoryLimit" "jobLabels" "backoffLimit"
"activeDeadlineSeconds" "podLabels" "podAnnotations" "pod" (the
prewarm.pod.pruner input) "scheduling" (pod fields added as they are:
serviceAccountName, priorityClassName, imagePullSecrets, nodeSelector,
tolerations, affinity; empty ones are left out)). One run at a time per
cache: two pruners on one cache would race.
*/ -}}
{{- define "prewarm.cache.pruner" -}}
{{- $meta := dict "name" .name "namespace" .namespace "labels" .labels -}}
{{- with get . "annotations" }}{{ $_ := set $meta "annotations" . }}{{ end -}}
{{- $pod := include "prewarm.pod.pruner" .pod | fromJson -}}
{{- range $k, $v := get . "scheduling" | default dict }}{{ if $v }}{{ $_ := set $pod $k $v }}{{ end }}{{ end -}}
{{- $tmeta := dict "labels" .podLabels -}}
{{- with get . "podAnnotations" }}{{ $_ := set $tmeta "annotations" . }}{{ end -}}
{{- $job := dict "spec" (dict "backoffLimit" (.backoffLimit | int64) "activeDeadlineSeconds" (.activeDeadlineSeconds | int64) "template" (dict "metadata" $tmeta "spec" $pod)) -}}
{{- with get . "jobLabels" }}{{ $_ := set $job "metadata" (dict "labels" .) }}{{ end -}}
{{- $spec := dict
  "schedule" .schedule
  "suspend" (get . "suspend" | default false)
  "concurrencyPolicy" (get . "concurrencyPolicy" | default "Forbid")
  "successfulJobsHistoryLimit" (.successfulJobsHistoryLimit | int64)
  "failedJobsHistoryLimit" (.failedJobsHistoryLimit | int64)
  "jobTemplate" $job
-}}
{{- with get . "timeZone" }}{{ $_ := set $spec "timeZone" . }}{{ end -}}
{{- $sds := get . "startingDeadlineSeconds" -}}
{{- if not (or (kindIs "invalid" $sds) (eq (toString $sds) "")) }}{{ $_ := set $spec "startingDeadlineSeconds" ($sds | int64) }}{{ end -}}
{{- toJson (dict "apiVersion" "batch/v1" "kind" "CronJob" "metadata" $meta "spec" $spec) -}}
{{- end -}}
