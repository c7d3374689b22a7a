{{- /*
gradle: a writable GRADLE_USER_HOME must never be shared between pods. Every
pod gets its own (/workspace/.gradle, on the workspace EmptyDir) and reads
the shared dependency cache as GRADLE_RO_DEP_CACHE (<cache>/ro/modules-2),
which only the trusted writer (warmer) publishes. tasks (optional) replace
the default resolution run.
*/ -}}
{{- define "prewarm.preset.gradle" -}}
{{- $c := dict -}}
{{- $_ := include "prewarm.preset.resolve" (dict "eco" "gradle" "options" . "out" $c) -}}
{{- $env := list
  (dict "name" "GRADLE_USER_HOME" "value" "/workspace/.gradle")
  (dict "name" "GRADLE_RO_DEP_CACHE" "value" (printf "%s/ro" $c.cache))
-}}
{{- $setupEnv := list -}}
{{- with $c.tasks }}{{ $setupEnv = append $setupEnv (dict "name" "PREWARM_GRADLE_TASKS" "value" (join " " .)) }}{{ end -}}
{{- with $c.secret }}{{ $setupEnv = append $setupEnv (dict "name" "PREWARM_GRADLE_PROPERTIES" "value" .file) }}{{ end -}}
{{- include "prewarm.preset.emit" (dict "c" $c "env" $env "setupEnv" $setupEnv) -}}
{{- end -}}
