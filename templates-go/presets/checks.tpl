{{- /*
Checks with messages a person can act on. The charts' schemas check types;
what a JSON schema can only say as "'not' failed" or as a regular
expression is checked here, naming the values key, the value and what is
allowed. Each takes (dict "key" "presets.npm.workdirs[0]" "v" value).
*/ -}}

{{- /* prewarm.check.noDotDot: a relative path with no '..' segment. */ -}}
{{- define "prewarm.check.noDotDot" -}}
{{- if regexMatch "(^|/)\\.\\.(/|$)" (toString .v) -}}
{{- fail (printf "%s: %q must not contain '..': use a path inside the repository (or the volume), relative to its root" .key (toString .v)) -}}
{{- end -}}
{{- end -}}

{{- /* prewarm.check.mountPath: an absolute path other than Kelos' /workspace, with no '..'. */ -}}
{{- define "prewarm.check.mountPath" -}}
{{- if eq (toString .v) "/" -}}
{{- fail (printf "%s: \"/\" would hide the container's whole file system: choose a directory such as /cache/<name>" .key) -}}
{{- end -}}
{{- if contains ":" (toString .v) -}}
{{- fail (printf "%s: %q has a ':', which Kubernetes does not take in a mount path" .key (toString .v)) -}}
{{- end -}}
{{- if has (toString .v) (list "/workspace" "/workspace/") -}}
{{- fail (printf "%s: %q is where Kelos mounts the workspace volume: choose another absolute path, such as /cache/<name>" .key (toString .v)) -}}
{{- end -}}
{{- if regexMatch "(^|/)\\.\\.(/|$)" (toString .v) -}}
{{- fail (printf "%s: %q must not contain '..': write the absolute path it means" .key (toString .v)) -}}
{{- end -}}
{{- end -}}

{{- /* prewarm.check.tokenEnv: not a variable prewarm or the image sets. */ -}}
{{- define "prewarm.check.tokenEnv" -}}
{{- if regexMatch "^(HOME|PATH|PREWARM_.*|KELOS_.*)$" (toString .v) -}}
{{- fail (printf "%s: %q is set by prewarm or the image (HOME, PATH, PREWARM_*) or reserved by Kelos (KELOS_*): choose another name, such as NPM_TOKEN" .key (toString .v)) -}}
{{- end -}}
{{- end -}}

{{- /* prewarm.check.containerName: not a name Kelos uses for its own containers or volume. */ -}}
{{- define "prewarm.check.containerName" -}}
{{- $reserved := list "workspace" "git-clone" "remote-setup" "branch-setup" "workspace-files" "plugin-setup" "skills-install" -}}
{{- if or (has (toString .v) $reserved) (hasPrefix "kelos-" (toString .v)) -}}
{{- fail (printf "%s: %q is reserved for Kelos' own containers (%s, kelos-*): choose another name" .key (toString .v) (join ", " $reserved)) -}}
{{- end -}}
{{- end -}}

{{- /* prewarm.check.volumeName: not Kelos' workspace volume or a kelos-* name. */ -}}
{{- define "prewarm.check.volumeName" -}}
{{- if or (eq (toString .v) "workspace") (hasPrefix "kelos-" (toString .v)) -}}
{{- fail (printf "%s: %q is reserved for Kelos' own volumes (workspace, kelos-*): choose another name" .key (toString .v)) -}}
{{- end -}}
{{- end -}}

{{- /*
prewarm.preset.check: the checks above on one preset's options .o (the raw
values of presets.<eco>).
*/ -}}
{{- define "prewarm.preset.check" -}}
{{- $eco := .eco -}}
{{- $o := .o | default dict -}}
{{- range $i, $w := get $o "workdirs" | default list -}}
{{- include "prewarm.check.noDotDot" (dict "key" (printf "presets.%s.workdirs[%d]" $eco $i) "v" $w) -}}
{{- end -}}
{{- $cache := get $o "cache" | default dict -}}
{{- with get $cache "subPath" }}{{ include "prewarm.check.noDotDot" (dict "key" (printf "presets.%s.cache.subPath" $eco) "v" .) }}{{ end -}}
{{- with get $cache "mountPath" }}{{ include "prewarm.check.mountPath" (dict "key" (printf "presets.%s.cache.mountPath" $eco) "v" .) }}{{ end -}}
{{- with get $o "resources" -}}
{{- range $kind := list "requests" "limits" -}}
{{- $m := get $.o.resources $kind | default dict -}}
{{- range $name := keys $m | sortAlpha -}}
{{- include "prewarm.check.resourceQuantity" (dict "key" (printf "presets.%s.resources.%s.%s" $eco $kind $name) "v" (get $m $name)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- with get $o "tokenSecretRef" -}}
{{- with get . "env" }}{{ include "prewarm.check.tokenEnv" (dict "key" (printf "presets.%s.tokenSecretRef.env" $eco) "v" .) }}{{ end -}}
{{- end -}}
{{- end -}}

{{- /*
prewarm.check.label: .name is a label key and .v a label value, for the
values key .key: an optional DNS-subdomain prefix and '/', then a name of
at most 63 letters, digits, '-', '_' or '.', starting and ending with a
letter or digit; values the same shape, or empty. (dict "key" "commonLabels.team" "name" "team" "v" "web")
*/ -}}
{{- define "prewarm.check.label" -}}
{{- $k := toString .name -}}
{{- $name := $k -}}
{{- if contains "/" $k -}}
{{- $prefix := regexReplaceAll "/.*$" $k "" -}}
{{- $name = regexReplaceAll "^[^/]*/" $k "" -}}
{{- if or (gt (len $prefix) 253) (not (regexMatch "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$" $prefix)) -}}
{{- fail (printf "%s: key %q: the prefix before '/' must be a DNS subdomain such as example.com" .key $k) -}}
{{- end -}}
{{- end -}}
{{- if or (gt (len $name) 63) (not (regexMatch "^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$" $name)) -}}
{{- fail (printf "%s: key %q is not a valid label key: the name must be 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit" .key $k) -}}
{{- end -}}
{{- if ne .v nil -}}
{{- $v := toString .v -}}
{{- if or (gt (len $v) 63) (and $v (not (regexMatch "^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$" $v))) -}}
{{- fail (printf "%s: value %q is not a valid label value: at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit" .key $v) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- /* prewarm.check.annotationKey: .name is a valid annotation key (the label key shape). */ -}}
{{- define "prewarm.check.annotationKey" -}}
{{- include "prewarm.check.label" (dict "key" .key "name" .name "v" nil) -}}
{{- end -}}

{{- /*
prewarm.check.resourceQuantity: a container resource quantity (cpu 500m or
2, memory 512Mi): a non-negative decimal with an optional suffix, as the
API server takes it.
*/ -}}
{{- define "prewarm.check.resourceQuantity" -}}
{{- $v := toString .v -}}
{{- if not (regexMatch "^([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$" $v) -}}
{{- fail (printf "%s: %q is not a quantity: use forms such as 500m, 2, 512Mi, 10Gi (not negative)" .key $v) -}}
{{- end -}}
{{- end -}}

{{- /*
prewarm.check.gitRef: a branch or tag name. Kelos' git-clone and the
warmer run `git clone --branch REF`, which takes no commit SHA, so a full
or abbreviated hexadecimal SHA (7-40 hex digits) is refused.
*/ -}}
{{- define "prewarm.check.gitRef" -}}
{{- if regexMatch "^[0-9a-f]{7,40}$" (toString .v) -}}
{{- fail (printf "%s: %q looks like a commit SHA, but Kelos and the warmer clone with git clone --branch, which takes only a branch or tag: name a branch or tag (e.g. push a tag at that commit)" .key (toString .v)) -}}
{{- end -}}
{{- end -}}
