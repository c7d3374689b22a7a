{{- /*
artifacts: pinned downloads (model weights, datasets, toolchains). Each
entry of files is {url, sha256, path} or {url, sha256, hub: {repo,
revision, file}}. The setup script (prewarm.script.artifacts) fetches each
blob once into <cache>/blobs/sha256/, verifies it, and links it at
<dir>/<path> or into the Hugging Face hub layout under HF_HOME.

The cache is single-writer like cargo's: Task pods mount it readOnly, so
the agent reads the pinned content through a read-only mount and cannot
change what other pods trust; the warmer (readWrite, trustedWriter)
fills it. A Task pod whose store lacks a blob fetches it into a per-pod
store (fail open).

The checks below are the chart's side of pkg/presets/artifacts.go (Go
validates before it renders, so in Go they never fire): every message
names the values key, the value and what is allowed.
*/ -}}
{{- define "prewarm.preset.artifacts" -}}
{{- $o := . | default dict -}}
{{- $c := dict -}}
{{- $_ := include "prewarm.preset.resolve" (dict "eco" "artifacts" "options" $o "out" $c) -}}
{{- $dir := get $o "dir" | default "/workspace/artifacts" -}}
{{- include "prewarm.check.artifactsDir" (dict "key" "presets.artifacts.dir" "v" $dir) -}}
{{- $files := get $o "files" | default list -}}
{{- if and (get $o "enabled") (not $files) -}}
{{- fail "presets.artifacts.files: at least one {url, sha256, path} (or hub instead of path) is required when the preset is enabled" -}}
{{- end -}}
{{- $hf := printf "%s/.cache/huggingface" $c.home -}}
{{- $lines := list -}}
{{- $paths := dict -}}
{{- $hubFiles := dict -}}
{{- $hubRevs := dict -}}
{{- range $i, $f := $files -}}
{{- $key := printf "presets.artifacts.files[%d]" $i -}}
{{- $url := toString (get $f "url") -}}
{{- if not (regexMatch "^https://[^/@\\s]+(/\\S*)?$" $url) -}}
{{- if and (get $o "allowHTTP") (regexMatch "^http://[^/@\\s]+(/\\S*)?$" $url) -}}
{{- else if regexMatch "^http://" $url -}}
{{- fail (printf "%s.url: %q must be https://; set presets.artifacts.allowHTTP: true to fetch over plain http (the sha256 still pins the content)" $key $url) -}}
{{- else -}}
{{- fail (printf "%s.url: %q must be an https:// URL with a host, no whitespace and no credentials (user:password@; put an Authorization header in registrySecret)" $key $url) -}}
{{- end -}}
{{- end -}}
{{- $sha := toString (get $f "sha256") -}}
{{- if not (regexMatch "^[0-9a-f]{64}$" $sha) -}}
{{- fail (printf "%s.sha256: %q must be 64 lowercase hex digits, as sha256sum prints them" $key $sha) -}}
{{- end -}}
{{- $hub := get $f "hub" -}}
{{- $path := get $f "path" -}}
{{- if and $hub $path -}}
{{- fail (printf "%s: set either path or hub, not both" $key) -}}
{{- else if $hub -}}
{{- $repo := toString (get $hub "repo") -}}
{{- $rev := toString (get $hub "revision") -}}
{{- $file := toString (get $hub "file") -}}
{{- if or (not (regexMatch "^[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$" $repo)) (contains "--" $repo) (contains ".." $repo) -}}
{{- fail (printf "%s.hub.repo: %q must be <org>/<name>: letters, digits, '-', '_' and '.', each part starting with a letter or digit, without '--' or '..'" $key $repo) -}}
{{- end -}}
{{- if not (regexMatch "^[0-9a-f]{40}$" $rev) -}}
{{- fail (printf "%s.hub.revision: %q must be a full commit: 40 lowercase hex digits (snapshots are named by commit; a branch or tag would not pin anything)" $key $rev) -}}
{{- end -}}
{{- with get $hubRevs $repo }}{{ if ne . $rev }}{{ fail (printf "%s.hub.revision: repo %s is already pinned at %s: refs/main holds one commit, so every file of a repo needs the same revision" $key $repo .) }}{{ end }}{{ end -}}
{{- $_ := set $hubRevs $repo $rev -}}
{{- include "prewarm.check.artifactFile" (dict "key" (printf "%s.hub.file" $key) "v" $file) -}}
{{- if hasKey $hubFiles (printf "%s:%s" $repo $file) }}{{ fail (printf "%s.hub.file: %q of %s is listed twice" $key $file $repo) }}{{ end -}}
{{- $_ := set $hubFiles (printf "%s:%s" $repo $file) true -}}
{{- $lines = append $lines (printf "%s hf:%s@%s:%s %s" $sha $repo $rev $file $url) -}}
{{- else -}}
{{- include "prewarm.check.artifactFile" (dict "key" (printf "%s.path" $key) "v" (toString $path)) -}}
{{- if hasPrefix "hf:" (toString $path) }}{{ fail (printf "%s.path: %q must not start with 'hf:'; set hub for the Hugging Face layout" $key (toString $path)) }}{{ end -}}
{{- with get $paths (toString $path) }}{{ fail (printf "%s.path: %q is already the path of %s" $key (toString $path) .) }}{{ end -}}
{{- range $p, $at := $paths -}}
{{- if or (hasPrefix (printf "%s/" $p) (toString $path)) (hasPrefix (printf "%s/" (toString $path)) $p) -}}
{{- fail (printf "%s.path: %q and %s.path %q: one is a directory of the other" $key (toString $path) $at $p) -}}
{{- end -}}
{{- end -}}
{{- $_ := set $paths (toString $path) $key -}}
{{- $lines = append $lines (printf "%s %s %s" $sha $path $url) -}}
{{- end -}}
{{- end -}}
{{- $env := list -}}
{{- $setupEnv := list
  (dict "name" "PREWARM_ARTIFACTS" "value" (join "\n" $lines))
  (dict "name" "PREWARM_ARTIFACTS_DIR" "value" $dir)
-}}
{{- if $hubRevs -}}
{{- $env = list (dict "name" "HF_HOME" "value" $hf) (dict "name" "HF_HUB_OFFLINE" "value" "1") -}}
{{- $setupEnv = append $setupEnv (dict "name" "PREWARM_HF_HOME" "value" $hf) -}}
{{- end -}}
{{- with $c.secret }}{{ $setupEnv = append $setupEnv (dict "name" "PREWARM_ARTIFACTS_HEADERS" "value" .file) }}{{ end -}}
{{- include "prewarm.preset.emit" (dict "c" $c "env" $env "setupEnv" $setupEnv) -}}
{{- end -}}

{{- /* prewarm.check.artifactFile: a relative, clean file path without '..' or whitespace (the script splits its list on blanks). */ -}}
{{- define "prewarm.check.artifactFile" -}}
{{- $v := toString .v -}}
{{- if or (not $v) (regexMatch "[\\s\\x00]" $v) (hasPrefix "/" $v) (regexMatch "(^|/)\\.{1,2}(/|$)" $v) (regexMatch "//|/$" $v) -}}
{{- fail (printf "%s: %q must be a clean relative file path: not empty, no leading '/', no '.' or '..' part, no '//', no trailing '/', no whitespace" .key $v) -}}
{{- end -}}
{{- end -}}

{{- /* prewarm.check.artifactsDir: an absolute path under /workspace/. */ -}}
{{- define "prewarm.check.artifactsDir" -}}
{{- $v := toString .v -}}
{{- if or (not (hasPrefix "/workspace/" $v)) (regexMatch "(^|/)\\.{1,2}(/|$)" $v) (regexMatch "//|/$|[\\s\\x00:]" $v) -}}
{{- fail (printf "%s: %q must be a clean absolute path under /workspace/, the workspace volume the setup container writes and the agent sees (e.g. /workspace/models)" .key $v) -}}
{{- end -}}
{{- end -}}
