{{/*
The Workspace spec as JSON: workspace.* values, then the presets, then
extraVolumes and extraSetup. Rules the schema cannot express fail here
with the key that broke them.
*/}}
{{- define "prewarm-workspace.spec" -}}
{{- $w := .Values.workspace -}}
{{- $spec := dict "repo" (required "workspace.repo is required: the git URL of the repository (https://, git://, ssh:// or git@)" $w.repo) -}}
{{- with $w.ref }}{{ include "prewarm.check.gitRef" (dict "key" "workspace.ref" "v" .) }}{{ $_ := set $spec "ref" . }}{{ end -}}
{{- with $w.secretRef -}}
{{- $name := . -}}
{{- if kindIs "map" . }}{{ $name = required "workspace.secretRef.name is required when secretRef is an object (Kelos' form: {name: my-secret})" .name }}{{ end -}}
{{- $_ := set $spec "secretRef" (dict "name" $name) -}}
{{- end -}}
{{- with $w.files -}}
{{- $files := list -}}
{{- range $path, $content := . }}{{ $files = append $files (dict "path" $path "content" $content) }}{{ end -}}
{{- $_ := set $spec "files" $files -}}
{{- end -}}
{{- range $eco := include "prewarm-workspace.presetNames" . | fromJsonArray -}}
{{- include "prewarm.preset.check" (dict "eco" $eco "o" (get $.Values.presets $eco)) -}}
{{- end -}}
{{- $add := include "prewarm-workspace.additions" (dict "root" . "warmer" false) | fromJson -}}
{{- $userEnv := include "prewarm-workspace.userEnv" . | fromJsonArray -}}
{{- range $userEnv -}}
{{- if or (eq .name "HOME") (hasPrefix "KELOS_" .name) -}}
{{- fail (printf "workspace.env.%s: HOME and KELOS_* are reserved by Kelos: the agent keeps its image's HOME; point each tool at its cache with the tool's own variable (npm_config_cache, GOMODCACHE, ...)" .name) -}}
{{- end -}}
{{- end -}}
{{- $env := include "prewarm-workspace.mergeEnv" (dict "a" $add.env "b" $userEnv) | fromJsonArray -}}
{{- with $env }}{{ $_ := set $spec "env" . }}{{ end -}}
{{- include "prewarm-workspace.checkExtra" (dict "items" .Values.extraVolumes "taken" $add.volumes "list" "extraVolumes" "keys" (list "name" "mountPath")) -}}
{{- $volumes := concat $add.volumes .Values.extraVolumes -}}
{{- with $volumes }}{{ $_ := set $spec "volumes" . }}{{ end -}}
{{- include "prewarm-workspace.checkExtra" (dict "items" .Values.extraSetup "taken" $add.setup "list" "extraSetup" "keys" (list "name")) -}}
{{- $setup := concat $add.setup .Values.extraSetup -}}
{{- with $setup }}{{ $_ := set $spec "setup" . }}{{ end -}}
{{- toJson $spec -}}
{{- end -}}

{{/*
Checks each entry of .list (extraVolumes or extraSetup, the values .items)
and fails naming the entry, its field and what already uses the value:
reserved Kelos names, /workspace and '..' in paths, and each of .keys
unique against the presets' entries (.taken) and earlier entries.
*/}}
{{- define "prewarm-workspace.checkExtra" -}}
{{- $seen := dict -}}
{{- range $t := .taken -}}
{{- range $k := $.keys }}{{ $_ := set $seen (printf "%s=%s" $k (toString (get $t $k))) (printf "the preset entry %s" $t.name) }}{{ end -}}
{{- end -}}
{{- range $i, $e := .items -}}
{{- $at := printf "%s[%d]" $.list $i -}}
{{- if eq $.list "extraSetup" -}}
{{- include "prewarm.check.containerName" (dict "key" (printf "%s.name" $at) "v" $e.name) -}}
{{- else -}}
{{- include "prewarm.check.volumeName" (dict "key" (printf "%s.name" $at) "v" $e.name) -}}
{{- include "prewarm.check.mountPath" (dict "key" (printf "%s.mountPath" $at) "v" $e.mountPath) -}}
{{- with $e.subPath }}{{ include "prewarm.check.noDotDot" (dict "key" (printf "%s.subPath" $at) "v" .) }}{{ end -}}
{{- end -}}
{{- range $k := $.keys -}}
{{- $id := printf "%s=%s" $k (toString (get $e $k)) -}}
{{- with get $seen $id }}{{ fail (printf "%s.%s: %q is already used by %s: choose another %s (presets use prewarm-<preset> names and /cache/<preset> mount paths)" $at $k (toString (get $e $k)) . $k) }}{{ end -}}
{{- $_ := set $seen $id $at -}}
{{- end -}}
{{- end -}}
{{- end -}}
