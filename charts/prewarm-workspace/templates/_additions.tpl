{{/*
The setup containers, volumes and env of every enabled preset, merged in
preset order by templates-go's prewarm.merge (the merge and conflict rules
pkg/presets.Apply runs too, with the same messages), as JSON
{setup, volumes, env}.
ctx: (dict "root" $ "warmer" bool)
*/}}
{{- define "prewarm-workspace.additions" -}}
{{- $parts := list -}}
{{- range $eco := include "prewarm-workspace.presetNames" . | fromJsonArray -}}
{{- $preset := get $.root.Values.presets $eco -}}
{{- if $preset.enabled -}}
{{- $opts := include "prewarm-workspace.presetOptions" (dict "root" $.root "eco" $eco "warmer" $.warmer) | fromJson -}}
{{- $add := include (printf "prewarm.preset.%s" $eco) $opts | fromJson -}}
{{- if hasKey $add "Error" }}{{ fail (printf "presets.%s: %s" $eco $add.Error) }}{{ end -}}
{{- range $c := $add.setup -}}
{{- $_ := set $c "image" (include "prewarm-workspace.withRegistry" (dict "root" $.root "ref" $c.image)) -}}
{{- end -}}
{{- $parts = append $parts (dict "owner" (printf "presets.%s" $eco) "preset" true "setup" $add.setup "volumes" $add.volumes "env" $add.env) -}}
{{- end -}}
{{- end -}}
{{- include "prewarm.merge" (dict "parts" $parts) -}}
{{- end -}}

{{/* workspace.env (a map) as an EnvVar list, sorted by name. */}}
{{- define "prewarm-workspace.userEnv" -}}
{{- $out := list -}}
{{- range $name, $v := .Values.workspace.env -}}
{{- if kindIs "map" $v -}}
{{- $out = append $out (merge (dict "name" $name) $v) -}}
{{- else if kindIs "float64" $v -}}
{{- /* YAML numbers arrive as float64: toJson keeps 1000000 (toString gives 1e+06). */ -}}
{{- $out = append $out (dict "name" $name "value" (toJson $v)) -}}
{{- else -}}
{{- $out = append $out (dict "name" $name "value" (toString $v)) -}}
{{- end -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/* env list a with entries of list b replacing same-name entries (b wins). */}}
{{- define "prewarm-workspace.mergeEnv" -}}
{{- $names := dict -}}
{{- range .b }}{{ $_ := set $names .name true }}{{ end -}}
{{- $out := list -}}
{{- range .a }}{{ if not (hasKey $names .name) }}{{ $out = append $out . }}{{ end }}{{ end -}}
{{- toJson (concat $out .b) -}}
{{- end -}}
