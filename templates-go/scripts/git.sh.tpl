{{- /*
Built-in git steps of the Task pod, shared by pkg/podtemplate and the
prewarm-workspace chart's warmer. Values arrive only through the
environment (GIT_REPO, GIT_REF, KELOS_BRANCH, GITHUB_TOKEN), never as shell
source.
*/ -}}
{{- define "prewarm.script.git-clone" -}}
set -eu
auth=""
if [ -n "${GITHUB_TOKEN:-}" ]; then
  auth='!f() { echo username=x-access-token; echo "password=${GITHUB_TOKEN}"; }; f'
fi
if [ -n "${GIT_REF:-}" ]; then
  git -c credential.helper="$auth" clone --depth 1 --branch "$GIT_REF" -- "$GIT_REPO" {{ include "prewarm.pod.repo" (dict) }}
else
  git -c credential.helper="$auth" clone --depth 1 -- "$GIT_REPO" {{ include "prewarm.pod.repo" (dict) }}
fi
mkdir -p {{ include "prewarm.pod.home" (dict) }}
{{- end -}}
{{- define "prewarm.script.branch-setup" -}}
set -eu
cd {{ include "prewarm.pod.repo" (dict) }}
if git fetch --depth 1 origin "refs/heads/$KELOS_BRANCH" 2>/dev/null; then
  git checkout -B "$KELOS_BRANCH" FETCH_HEAD
else
  git checkout -b "$KELOS_BRANCH"
fi
{{- end -}}
{{- /*
prewarm.script.workspace-files: writes the Workspace's spec.files into the
checkout. The paths and contents arrive as KELOS_FILE_COUNT and
KELOS_FILE_<i>_PATH / KELOS_FILE_<i>_CONTENT, never as shell source.
*/ -}}
{{- define "prewarm.script.workspace-files" -}}
set -eu
i=0
while [ "$i" -lt "$KELOS_FILE_COUNT" ]; do
  eval "path=\${KELOS_FILE_${i}_PATH}; content=\${KELOS_FILE_${i}_CONTENT}"
  mkdir -p "$(dirname -- "{{ include "prewarm.pod.repo" (dict) }}/$path")"
  printf '%s' "$content" > "{{ include "prewarm.pod.repo" (dict) }}/$path"
  i=$((i + 1))
done
{{- end -}}
