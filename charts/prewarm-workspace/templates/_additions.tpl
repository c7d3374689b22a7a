{{/*
The setup containers, volumes and env of every enabled preset, merged in
preset order, as JSON {setup, volumes, env}. The same define blocks render
in Go (pkg/presets.Apply); a parity test compares the two.
ctx: (dict "root" $ "warmer" bool)
*/}}
{{- define "prewarm-workspace.additions" -}}
{{- $setup := list -}}
{{- $volumes := list -}}
{{- $env := list -}}
{{- $envFrom := dict -}}
{{- $claimDirs := dict -}}
{{- $mounts := dict -}}
{{- range $eco := include "prewarm-workspace.presetNames" . | fromJsonArray -}}
{{- $preset := get $.root.Values.presets $eco -}}
{{- if $preset.enabled -}}
{{- $opts := include "prewarm-workspace.presetOptions" (dict "root" $.root "eco" $eco "warmer" $.warmer) | fromJson -}}
{{- $add := include (printf "prewarm.preset.%s" $eco) $opts | fromJson -}}
{{- if hasKey $add "Error" }}{{ fail (printf "presets.%s: %s" $eco $add.Error) }}{{ end -}}
{{- range $v := $add.volumes -}}
{{- with get $mounts $v.mountPath }}{{ fail (printf "presets.%s: mount path %q is already used by presets.%s: give each preset its own cache.mountPath (or registrySecret.mountPath)" $eco $v.mountPath .) }}{{ end -}}
{{- $_ := set $mounts $v.mountPath $eco -}}
{{- with $v.source.persistentVolumeClaim -}}
{{- $claim := .claimName -}}
{{- $dir := printf "%s/%s" $claim ($v.subPath | default "") -}}
{{- with get $claimDirs $dir }}{{ fail (printf "presets.%s.cache: claim %s subPath %q is already used by presets.%s; give each preset its own cache.subPath" $eco $claim ($v.subPath | default "") .) }}{{ end -}}
{{- $_ := set $claimDirs $dir $eco -}}
{{- end -}}
{{- end -}}
{{- range $c := $add.setup -}}
{{- $_ := set $c "image" (include "prewarm-workspace.withRegistry" (dict "root" $.root "ref" $c.image)) -}}
{{- $setup = append $setup $c -}}
{{- end -}}
{{- $volumes = concat $volumes $add.volumes -}}
{{- range $e := $add.env -}}
{{- $prev := get $envFrom $e.name -}}
{{- if not $prev -}}
{{- $_ := set $envFrom $e.name (dict "eco" $eco "json" (toJson $e)) -}}
{{- $env = append $env $e -}}
{{- else if ne $prev.json (toJson $e) -}}
{{- fail (printf "presets.%s and presets.%s set env %s to different values; disable one or give them different cache mount paths" $prev.eco $eco $e.name) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toJson (dict "setup" $setup "volumes" $volumes "env" $env) -}}
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
