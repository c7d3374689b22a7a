{{- /*
pip: a venv per workdir at <workdir>/.venv. A venv is not relocatable, so the
agent image needs the same interpreter at the same path as the setup image.
The setup container gets the venvs first on PATH (set explicitly: Kubernetes
cannot append to an image's PATH). The agent does not: replacing its PATH
would drop what its image puts there (~/.local/bin, $GOPATH/bin), so the
agent gets VIRTUAL_ENV and runs .venv/bin/python, or activates the venv.
*/ -}}
{{- define "prewarm.preset.pip" -}}
{{- $c := dict -}}
{{- $_ := include "prewarm.preset.resolve" (dict "eco" "pip" "options" . "out" $c) -}}
{{- $bins := list -}}
{{- range $c.workdirs }}{{ $bins = append $bins (printf "%s/.venv/bin" (clean (printf "%s/%s" $c.repo .))) }}{{ end -}}
{{- $cacheRoot := ternary $c.cache (printf "%s/.cache" $c.home) $c.readWrite -}}
{{- $env := list
  (dict "name" "PIP_CACHE_DIR" "value" (ternary (printf "%s/store" $c.cache) (printf "%s/.cache/pip" $c.home) $c.readWrite))
  (dict "name" "PIP_DISABLE_PIP_VERSION_CHECK" "value" "1")
  (dict "name" "UV_CACHE_DIR" "value" (printf "%s/uv" $cacheRoot))
  (dict "name" "UV_LINK_MODE" "value" "copy")
  (dict "name" "POETRY_CACHE_DIR" "value" (printf "%s/poetry" $cacheRoot))
  (dict "name" "POETRY_VIRTUALENVS_IN_PROJECT" "value" "true")
  (dict "name" "VIRTUAL_ENV" "value" (dir (first $bins)))
-}}
{{- with $c.secret }}{{ $env = append $env (dict "name" "PIP_CONFIG_FILE" "value" .file) }}{{ end -}}
{{- $setupEnv := list
  (dict "name" "PREWARM_SNAPSHOTS" "value" $c.snapshots)
  (dict "name" "PATH" "value" (join ":" (concat $bins (list "/usr/local/sbin" "/usr/local/bin" "/usr/sbin" "/usr/bin" "/sbin" "/bin"))))
-}}
{{- include "prewarm.preset.emit" (dict "c" $c "env" $env "setupEnv" $setupEnv) -}}
{{- end -}}
