{{- /*
prewarm.merge: the one merge of Workspace additions, with its conflict
rules; Go (pkg/presets.Apply) and the prewarm-workspace chart both call it,
so both refuse the same inputs with the same message. .parts is a list of
{owner, preset, setup, volumes, env} in order (owner names the source in
messages: "the Workspace spec", "presets.npm"; preset is true for a
preset's additions). Emits {"setup", "volumes", "env"}: every part's
entries in order, an identical volume or env entry kept once. Fails,
naming both owners, on:
- a setup container name used twice;
- a volume name used twice with different content;
- a mount path used by two volumes;
- two presets on the same directory (claim and subPath) of one claim:
  their scripts use the same layout (store/, snapshots/) and would mix;
- an env name set twice to different values.
*/ -}}
{{- define "prewarm.merge" -}}
{{- $owners := dict -}}
{{- $setup := list -}}
{{- $volumes := list -}}
{{- $env := list -}}
{{- range $part := .parts -}}
{{- $owner := $part.owner -}}
{{- range $c := get $part "setup" | default list -}}
{{- with get $owners (printf "setup %s" $c.name) }}{{ fail (printf "setup container %s: added by %s and %s" $c.name . $owner) }}{{ end -}}
{{- $_ := set $owners (printf "setup %s" $c.name) $owner -}}
{{- $setup = append $setup $c -}}
{{- end -}}
{{- range $v := get $part "volumes" | default list -}}
{{- $prev := get $owners (printf "volume %s" $v.name) -}}
{{- if $prev -}}
{{- $same := false -}}
{{- range $volumes }}{{ if and (eq .name $v.name) (eq (toJson .) (toJson $v)) }}{{ $same = true }}{{ end }}{{ end -}}
{{- if not $same }}{{ fail (printf "volume %s: %s and %s define it differently" $v.name $prev $owner) }}{{ end -}}
{{- else -}}
{{- with get $owners (printf "mountPath %s" $v.mountPath) -}}
{{- fail (printf "mountPath %s: used by %s and by volume %s of %s; give each its own cache.mountPath (or registrySecret.mountPath)" $v.mountPath . $v.name $owner) -}}
{{- end -}}
{{- $pvc := get (get $v "source" | default dict) "persistentVolumeClaim" -}}
{{- if and (get $part "preset") $pvc -}}
{{- $sub := get $v "subPath" | default "" -}}
{{- $key := printf "claimDir %s/%s" $pvc.claimName $sub -}}
{{- with get $owners $key }}{{ fail (printf "claim %s subPath %q: used by %s and %s; give each preset its own cache.subPath" $pvc.claimName $sub . $owner) }}{{ end -}}
{{- $_ := set $owners $key $owner -}}
{{- end -}}
{{- $_ := set $owners (printf "volume %s" $v.name) $owner -}}
{{- $_ := set $owners (printf "mountPath %s" $v.mountPath) $owner -}}
{{- $volumes = append $volumes $v -}}
{{- end -}}
{{- end -}}
{{- range $e := get $part "env" | default list -}}
{{- $prev := get $owners (printf "env %s" $e.name) -}}
{{- if not $prev -}}
{{- $_ := set $owners (printf "env %s" $e.name) $owner -}}
{{- $env = append $env $e -}}
{{- else -}}
{{- range $have := $env -}}
{{- if and (eq $have.name $e.name) (ne (toJson $have) (toJson $e)) -}}
{{- fail (printf "env %s: %s sets %s, %s sets %s" $e.name $prev (include "prewarm.merge.describeEnv" $have) $owner (include "prewarm.merge.describeEnv" $e)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toJson (dict "setup" $setup "volumes" $volumes "env" $env) -}}
{{- end -}}

{{- /* prewarm.merge.describeEnv: an EnvVar's value for a message. */ -}}
{{- define "prewarm.merge.describeEnv" -}}
{{- $from := get . "valueFrom" -}}
{{- if and $from (get $from "secretKeyRef") -}}
{{- printf "secret %s key %s" $from.secretKeyRef.name $from.secretKeyRef.key -}}
{{- else if $from -}}
a valueFrom reference
{{- else -}}
{{- printf "%q" (get . "value" | default "") -}}
{{- end -}}
{{- end -}}
