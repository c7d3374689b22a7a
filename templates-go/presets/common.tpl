{{- /*
Shared preset parts. Rendered by Go (pkg/presets) and, from a generated copy,
by the prewarm-workspace chart, so only text/template, sprig, include and
required are used here.

Each "prewarm.preset.<eco>" takes the options map of presets.<eco> (the
chart's values, or the Go Options marshalled to JSON) and emits one JSON
object: {"setup": [SetupContainer], "volumes": [WorkspaceVolume],
"env": [EnvVar]}. "env" goes into the Workspace's spec.env (setup containers
and the agent): only each tool's own variables, never HOME, which stays the
agent image's. Each setup container carries its own HOME (PREWARM_HOME) and
PREWARM_* env, and terminationMessagePolicy FallbackToLogsOnError.
*/ -}}

{{- /*
prewarm.preset.names: the presets, in the order they are rendered and
merged, as JSON {"items": [...]}: the one list (Go's presets.Names and the
charts read it). A new preset adds its name here and its defaults below.
*/ -}}
{{- define "prewarm.preset.names" -}}
{{- toJson (dict "items" (list "npm" "pip" "gomod" "cargo" "maven" "gradle" "artifacts")) -}}
{{- end -}}

{{- /*
prewarm.preset.unknown: the message for unknown preset names .names (a
list of quoted names, e.g. "\"yarn\""), listing the known ones.
*/ -}}
{{- define "prewarm.preset.unknown" -}}
{{- printf "unknown preset %s (known: %s)" (join ", " .names) (join ", " (include "prewarm.preset.names" (dict) | fromJson).items) -}}
{{- end -}}

{{- /*
prewarm.preset.defaults: per-ecosystem defaults as JSON, keyed by preset
name. singleWriter presets (no safe concurrent writers) default to a
read-only cache and accept readWrite only with trustedWriter: true.
secretKey is the default key (and file name) of registrySecret. snapshots,
where set, is what an unset snapshots option means (else "true"): "auto"
for gomod, whose setup picks snapshots or the caches on the volume by the
volume's file system (see prewarm.script.gomod).
*/ -}}
{{- define "prewarm.preset.defaults" -}}
{{- $all := dict
  "npm" (dict "image" (dict "repository" "node" "tag" "22-alpine") "mode" "readWrite" "singleWriter" false "secretKey" ".npmrc")
  "pip" (dict "image" (dict "repository" "python" "tag" "3.12-slim") "mode" "readWrite" "singleWriter" false "secretKey" "pip.conf")
  "gomod" (dict "image" (dict "repository" "golang" "tag" "1.26-alpine") "mode" "readWrite" "singleWriter" false "secretKey" ".netrc" "snapshots" "auto")
  "cargo" (dict "image" (dict "repository" "rust" "tag" "1.95-slim") "mode" "readOnly" "singleWriter" true "secretKey" "credentials.toml")
  "maven" (dict "image" (dict "repository" "maven" "tag" "3.9-eclipse-temurin-21") "mode" "readOnly" "singleWriter" true "secretKey" "settings.xml")
  "gradle" (dict "image" (dict "repository" "gradle" "tag" "8-jdk21") "mode" "readOnly" "singleWriter" true "secretKey" "gradle.properties")
  "artifacts" (dict "image" (dict "repository" "curlimages/curl" "tag" "8.11.1") "mode" "readOnly" "singleWriter" true "secretKey" "headers")
-}}
{{- range $eco, $d := $all -}}
{{- $_ := set $d "mountPath" (printf "/cache/%s" $eco) -}}
{{- $_ := set $d "secretMountPath" (printf "/etc/prewarm/%s" $eco) -}}
{{- end -}}
{{- toJson $all -}}
{{- end -}}

{{- /*
prewarm.preset.modeRule: the cache mode rules of preset .eco for the
options' .mode (empty: the default) and .trustedWriter, as JSON {rule,
mode, supported, detail}: rule is "" when the mode is fine,
"notSupported" for a mode other than readWrite or readOnly, and
"forbidden" for readWrite on a single-writer preset without
trustedWriter. The one owner of the single-writer rule: Go
(presets.Options.Validate) and the charts (prewarm.preset.resolve) both
ask it.
*/ -}}
{{- define "prewarm.preset.modeRule" -}}
{{- $d := get (include "prewarm.preset.defaults" (dict) | fromJson) .eco -}}
{{- $mode := .mode | default $d.mode -}}
{{- $modes := list "readWrite" "readOnly" -}}
{{- $out := dict "rule" "" "mode" $mode "supported" $modes "detail" "" -}}
{{- if not (has $mode $modes) -}}
{{- $_ := set $out "rule" "notSupported" -}}
{{- $_ := set $out "detail" (printf "%q is not supported (%s)" $mode (join ", " $modes)) -}}
{{- else if and (eq $mode "readWrite") $d.singleWriter (not .trustedWriter) -}}
{{- $_ := set $out "rule" "forbidden" -}}
{{- $_ := set $out "detail" (printf "readWrite needs trustedWriter: true; %s cannot share a writable cache between pods safely, so only one trusted writer (the warmer job) may write it and every other pod reads it readOnly" .eco) -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{- /*
prewarm.preset.resolve: applies the defaults to .options for preset .eco and
writes the resolved values into the dict .out (maps are shared, so the
caller sees them). Output text is empty.
*/ -}}
{{- define "prewarm.preset.resolve" -}}
{{- $eco := .eco -}}
{{- $o := .options | default dict -}}
{{- $out := .out -}}
{{- $d := get (include "prewarm.preset.defaults" (dict) | fromJson) $eco -}}
{{- $_ := required (include "prewarm.preset.unknown" (dict "names" (list (printf "%q" $eco)))) ($d | default "") -}}
{{- include "prewarm.preset.check" (dict "eco" $eco "o" $o) -}}
{{- $img := get $o "image" | default dict -}}
{{- $image := get $img "repository" | default $d.image.repository -}}
{{- $tag := get $img "tag" | default $d.image.tag -}}
{{- if $tag }}{{ $image = printf "%s:%s" $image $tag }}{{ end -}}
{{- with get $img "digest" }}{{ $image = printf "%s@%s" $image . }}{{ end -}}
{{- $cache := get $o "cache" | default dict -}}
{{- $rule := include "prewarm.preset.modeRule" (dict "eco" $eco "mode" (get $cache "mode") "trustedWriter" (get $o "trustedWriter")) | fromJson -}}
{{- $mode := $rule.mode -}}
{{- if $rule.rule }}{{ $_ := required (printf "presets.%s.cache.mode: %s" $eco $rule.detail) "" }}{{ end -}}
{{- $snapshots := "true" -}}
{{- if hasKey $d "snapshots" }}{{ $snapshots = $d.snapshots }}{{ end -}}
{{- $optSnapshots := get $o "snapshots" -}}
{{- if kindIs "bool" $optSnapshots }}{{ $snapshots = ternary "true" "false" $optSnapshots }}{{ end -}}
{{- $secret := dict -}}
{{- with get $o "registrySecret" -}}
{{- $key := get . "key" | default $d.secretKey -}}
{{- $mount := get . "mountPath" | default $d.secretMountPath -}}
{{- $secret = dict "name" (get . "name") "key" $key "mountPath" $mount "file" (printf "%s/%s" $mount $key) -}}
{{- end -}}
{{- $_ := set $out "eco" $eco -}}
{{- $_ := set $out "name" (printf "prewarm-%s" $eco) -}}
{{- $_ := set $out "image" $image -}}
{{- $_ := set $out "repo" (include "prewarm.pod.repo" (dict)) -}}
{{- $_ := set $out "home" (include "prewarm.pod.home" (dict)) -}}
{{- $_ := set $out "workdirs" (get $o "workdirs" | default (list ".")) -}}
{{- $_ := set $out "extraArgs" (get $o "extraArgs" | default list) -}}
{{- $_ := set $out "claimName" (get $cache "claimName" | default (printf "prewarm-cache-%s" $eco)) -}}
{{- $_ := set $out "subPath" (get $cache "subPath") -}}
{{- $_ := set $out "cache" (get $cache "mountPath" | default $d.mountPath) -}}
{{- $_ := set $out "mode" $mode -}}
{{- $_ := set $out "readWrite" (eq $mode "readWrite") -}}
{{- $_ := set $out "snapshots" $snapshots -}}
{{- $_ := set $out "keySalt" (get $o "keySalt") -}}
{{- $_ := set $out "prebuild" (get $o "prebuild" | default "build") -}}
{{- $_ := set $out "goals" (get $o "goals" | default (list "-DskipTests" "test-compile")) -}}
{{- $_ := set $out "tasks" (get $o "tasks" | default list) -}}
{{- $_ := set $out "secret" $secret -}}
{{- $_ := set $out "token" (get $o "tokenSecretRef" | default dict) -}}
{{- $_ := set $out "resources" (get $o "resources" | default dict) -}}
{{- end -}}

{{- /*
prewarm.preset.emit: writes the preset JSON from the resolved values .c, the
preset's spec.env entries .env and its extra setup-container env .setupEnv.
Fails when a name is set twice (a tokenSecretRef.env that repeats one of
the preset's own variables).
The script is the text of "prewarm.script.<eco>", passed to sh -c with $0
set to the container name, so extraArgs reach the tool as "$@".
*/ -}}
{{- define "prewarm.preset.emit" -}}
{{- $c := .c -}}
{{- $script := include (printf "prewarm.script.%s" $c.eco) (dict) -}}
{{- $setupEnv := list
  (dict "name" "PREWARM_REPO" "value" $c.repo)
  (dict "name" "PREWARM_CACHE" "value" $c.cache)
  (dict "name" "HOME" "value" $c.home)
  (dict "name" "PREWARM_HOME" "value" $c.home)
  (dict "name" "PREWARM_WORKDIRS" "value" (join "\n" $c.workdirs))
  (dict "name" "PREWARM_CACHE_MODE" "value" $c.mode)
  (dict "name" "PREWARM_KEY_SALT" "value" $c.keySalt)
-}}
{{- $container := dict
  "name" $c.name
  "image" $c.image
  "command" (list "sh" "-c" $script $c.name)
  "workingDir" $c.repo
  "env" (concat $setupEnv .setupEnv)
  "resources" $c.resources
  "terminationMessagePolicy" "FallbackToLogsOnError"
-}}
{{- if $c.extraArgs }}{{ $_ := set $container "args" $c.extraArgs }}{{ end -}}
{{- $pvc := dict "claimName" $c.claimName -}}
{{- $cacheVolume := dict "name" (printf "prewarm-cache-%s" $c.eco) "mountPath" $c.cache "source" (dict "persistentVolumeClaim" $pvc) -}}
{{- if $c.subPath }}{{ $_ := set $cacheVolume "subPath" $c.subPath }}{{ end -}}
{{- if not $c.readWrite }}{{ $_ := set $cacheVolume "readOnly" true }}{{ end -}}
{{- $volumes := list $cacheVolume -}}
{{- $env := .env -}}
{{- with $c.secret -}}
{{- $items := list (dict "key" .key "path" .key) -}}
{{- $volumes = append $volumes (dict "name" (printf "prewarm-registry-%s" $c.eco) "mountPath" .mountPath "readOnly" true "source" (dict "secret" (dict "secretName" .name "items" $items "defaultMode" 288))) -}}
{{- end -}}
{{- with $c.token -}}
{{- $env = append $env (dict "name" .env "valueFrom" (dict "secretKeyRef" (dict "name" .name "key" .key))) -}}
{{- end -}}
{{- $seen := dict -}}
{{- range $env -}}
{{- if hasKey $seen .name }}{{ fail (printf "presets.%s: env %s is set twice (is tokenSecretRef.env one of the variables the preset sets?)" $c.eco .name) }}{{ end -}}
{{- $_ := set $seen .name true -}}
{{- end -}}
{{- range $container.env -}}
{{- if hasKey $seen .name }}{{ fail (printf "presets.%s: env %s is set in spec.env and on setup container %s" $c.eco .name $c.name) }}{{ end -}}
{{- end -}}
{{- toPrettyJson (dict "setup" (list $container) "volumes" $volumes "env" $env) -}}
{{- end -}}
