{{/*
The Workspace spec as JSON: workspace.* values, then the presets, then
extraVolumes and extraSetup. Rules the schema cannot express fail here
with the key that broke them.
*/}}
{{- define "prewarm-workspace.spec" -}}
{{- $w := .Values.workspace -}}
{{- $spec := dict "repo" (required "workspace.repo is required: the git URL of the repository (https://, git://, ssh:// or git@)" $w.repo) -}}
{{- with $w.ref }}{{ $_ := set $spec "ref" . }}{{ end -}}
{{- with $w.secretRef }}{{ $_ := set $spec "secretRef" (dict "name" .) }}{{ end -}}
{{- with $w.files -}}
{{- $files := list -}}
{{- range $path, $content := . }}{{ $files = append $files (dict "path" $path "content" $content) }}{{ end -}}
{{- $_ := set $spec "files" $files -}}
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
{{- $volumes := concat $add.volumes .Values.extraVolumes -}}
{{- include "prewarm-workspace.checkUnique" (dict "items" $volumes "key" "name" "what" "volume name" "hint" "extraVolumes") -}}
{{- include "prewarm-workspace.checkUnique" (dict "items" $volumes "key" "mountPath" "what" "mountPath" "hint" "extraVolumes") -}}
{{- with $volumes }}{{ $_ := set $spec "volumes" . }}{{ end -}}
{{- $setup := concat $add.setup .Values.extraSetup -}}
{{- include "prewarm-workspace.checkUnique" (dict "items" $setup "key" "name" "what" "setup container name" "hint" "extraSetup") -}}
{{- with $setup }}{{ $_ := set $spec "setup" . }}{{ end -}}
{{- toJson $spec -}}
{{- end -}}

{{/* Fails when two items share .key; presets own the prewarm-* names. */}}
{{- define "prewarm-workspace.checkUnique" -}}
{{- $seen := dict -}}
{{- range .items -}}
{{- $v := toString (get . $.key) -}}
{{- if hasKey $seen $v -}}
{{- fail (printf "%s: %s %q is used twice (presets use prewarm-<preset> names and /cache/<preset> mount paths)" $.hint $.what $v) -}}
{{- end -}}
{{- $_ := set $seen $v true -}}
{{- end -}}
{{- end -}}
