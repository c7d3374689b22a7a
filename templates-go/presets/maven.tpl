{{- /*
maven: Maven's default lock works inside one JVM only. Consumers (readOnly)
write to a per-pod head repository and read the shared one as
maven.repo.local.tail; the trusted writer writes <cache>/repository with
file locks. MAVEN_ARGS (Maven 3.9+) carries this to setup and agent alike.
MAVEN_OPTS repeats -Duser.home for Maven 3.8, which ignores MAVEN_ARGS.
MAVEN_CONFIG is cleared: the maven image sets it to /root/.m2 and mvnw
passes it as arguments.
*/ -}}
{{- define "prewarm.preset.maven" -}}
{{- $c := dict -}}
{{- $_ := include "prewarm.preset.resolve" (dict "eco" "maven" "options" . "out" $c) -}}
{{- $args := list (printf "-Duser.home=%s" $c.home) -}}
{{- if $c.readWrite -}}
{{- $args = concat $args (list (printf "-Dmaven.repo.local=%s/repository" $c.cache) "-Daether.syncContext.named.factory=file-lock" "-Daether.syncContext.named.nameMapper=file-gav") -}}
{{- else -}}
{{- $args = concat $args (list (printf "-Dmaven.repo.local=%s/.m2/repository" $c.home) (printf "-Dmaven.repo.local.tail=%s/repository" $c.cache)) -}}
{{- end -}}
{{- with $c.secret }}{{ $args = concat $args (list "-s" .file) }}{{ end -}}
{{- $env := list
  (dict "name" "MAVEN_ARGS" "value" (join " " $args))
  (dict "name" "MAVEN_CONFIG" "value" "")
  (dict "name" "MAVEN_OPTS" "value" (printf "-Duser.home=%s" $c.home))
-}}
{{- $setupEnv := list (dict "name" "PREWARM_MAVEN_GOALS" "value" (join " " $c.goals)) -}}
{{- with $c.secret }}{{ $setupEnv = append $setupEnv (dict "name" "PREWARM_MAVEN_SETTINGS" "value" .file) }}{{ end -}}
{{- include "prewarm.preset.emit" (dict "c" $c "env" $env "setupEnv" $setupEnv) -}}
{{- end -}}
