{{- /*
The Task pod's identity and the parts every pod prewarm describes shares:
Go (pkg/podtemplate: the Task pod, the warmer) and the prewarm-workspace
chart (warmer CronJob, pruner, podOverrides, admission policy) render these
same blocks, so each fact below is written once. Every block emits JSON
(an object; lists are wrapped as {"items": [...]}, since Helm's fromJson
takes objects only).
*/ -}}

{{- /*
prewarm.pod.identity: the agent user (UID and GID) and the workspace
volume every container of a Task pod shares: its name, its mount point, the
checkout and the HOME the built-in steps use.
*/ -}}
{{- define "prewarm.pod.identity" -}}
{{- toJson (dict
  "uid" 61100
  "workspaceVolume" "workspace"
  "workspaceMount" "/workspace"
  "repo" "/workspace/repo"
  "home" "/workspace/.home"
) -}}
{{- end -}}

{{- /* prewarm.pod.repo / prewarm.pod.home: the two paths as plain text, for scripts. */ -}}
{{- define "prewarm.pod.repo" -}}{{ (include "prewarm.pod.identity" (dict) | fromJson).repo }}{{- end -}}
{{- define "prewarm.pod.home" -}}{{ (include "prewarm.pod.identity" (dict) | fromJson).home }}{{- end -}}

{{- /*
prewarm.pod.securityContext: the pod security context. Pod Security
"restricted" with the agent's UID/GID; fsGroup gives shared volumes the
agent's group, and OnRootMismatch skips the recursive chown when the
volume root already matches (on a big cache PVC it would cost minutes at
every start).
*/ -}}
{{- define "prewarm.pod.securityContext" -}}
{{- $uid := (include "prewarm.pod.identity" (dict) | fromJson).uid -}}
{{- toJson (dict
  "runAsUser" $uid
  "runAsGroup" $uid
  "runAsNonRoot" true
  "fsGroup" $uid
  "fsGroupChangePolicy" "OnRootMismatch"
  "seccompProfile" (dict "type" "RuntimeDefault")
) -}}
{{- end -}}

{{- /*
prewarm.pod.containerSecurityContext: every container's security context;
it satisfies "restricted" on its own, whatever the pod-level context says.
*/ -}}
{{- define "prewarm.pod.containerSecurityContext" -}}
{{- $uid := (include "prewarm.pod.identity" (dict) | fromJson).uid -}}
{{- toJson (dict
  "runAsUser" $uid
  "runAsGroup" $uid
  "runAsNonRoot" true
  "allowPrivilegeEscalation" false
  "capabilities" (dict "drop" (list "ALL"))
  "seccompProfile" (dict "type" "RuntimeDefault")
) -}}
{{- end -}}

{{- /*
prewarm.overlay: the map .over laid over the map .base, two levels deep as
Helm merges values (a nested map such as seccompProfile merges key by key;
lists and scalars replace; false is kept; a null removes the key). The
charts' podSecurityContext and securityContext values overlay the two
defaults above this way.
*/ -}}
{{- define "prewarm.overlay" -}}
{{- $out := deepCopy (get . "base" | default dict) -}}
{{- range $k, $v := get . "over" | default dict -}}
{{- if kindIs "invalid" $v -}}
{{- $_ := unset $out $k -}}
{{- else if and (kindIs "map" $v) (kindIs "map" (get $out $k)) -}}
{{- $m := get $out $k -}}
{{- range $k2, $v2 := $v -}}
{{- if kindIs "invalid" $v2 }}{{ $_ := unset $m $k2 }}{{ else }}{{ $_ := set $m $k2 $v2 }}{{ end -}}
{{- end -}}
{{- else -}}
{{- $_ := set $out $k $v -}}
{{- end -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{- /*
prewarm.pod.mergeEnv: env list .a, then list .b; an entry of .b whose name
is already set replaces it in place (as a container spec expects). Emits
{"items": [EnvVar]}.
*/ -}}
{{- define "prewarm.pod.mergeEnv" -}}
{{- $names := list -}}
{{- $byName := dict -}}
{{- range concat (get . "a" | default list) (get . "b" | default list) -}}
{{- if not (hasKey $byName .name) }}{{ $names = append $names .name }}{{ end -}}
{{- $_ := set $byName .name . -}}
{{- end -}}
{{- $out := list -}}
{{- range $names }}{{ $out = append $out (get $byName .) }}{{ end -}}
{{- toJson (dict "items" $out) -}}
{{- end -}}

{{- /*
prewarm.pod.volumes: Workspace volumes (.volumes: name, mountPath, subPath,
readOnly, source) as pod volumes, after the workspace emptyDir unless
.noWorkspace. Emits {"items": [Volume]}.
*/ -}}
{{- define "prewarm.pod.volumes" -}}
{{- $id := include "prewarm.pod.identity" (dict) | fromJson -}}
{{- $out := list -}}
{{- if not (get . "noWorkspace") }}{{ $out = append $out (dict "name" $id.workspaceVolume "emptyDir" (dict)) }}{{ end -}}
{{- range get . "volumes" | default list }}{{ $out = append $out (merge (dict "name" .name) .source) }}{{ end -}}
{{- toJson (dict "items" $out) -}}
{{- end -}}

{{- /*
prewarm.pod.mounts: the mounts of the same list, after the workspace mount
unless .noWorkspace. Emits {"items": [VolumeMount]}.
*/ -}}
{{- define "prewarm.pod.mounts" -}}
{{- $id := include "prewarm.pod.identity" (dict) | fromJson -}}
{{- $out := list -}}
{{- if not (get . "noWorkspace") }}{{ $out = append $out (dict "name" $id.workspaceVolume "mountPath" $id.workspaceMount) }}{{ end -}}
{{- range get . "volumes" | default list -}}
{{- $m := dict "name" .name "mountPath" .mountPath -}}
{{- with get . "subPath" }}{{ $_ := set $m "subPath" . }}{{ end -}}
{{- if get . "readOnly" }}{{ $_ := set $m "readOnly" true }}{{ end -}}
{{- $out = append $out $m -}}
{{- end -}}
{{- toJson (dict "items" $out) -}}
{{- end -}}

{{- /*
prewarm.pod.gitClone: the git-clone init container, from .repo, .ref,
.secretName (the Secret with GITHUB_TOKEN), .image and .securityContext
(default prewarm.pod.containerSecurityContext). Values reach the script
through env only.
*/ -}}
{{- define "prewarm.pod.gitClone" -}}
{{- $id := include "prewarm.pod.identity" (dict) | fromJson -}}
{{- $env := list (dict "name" "GIT_REPO" "value" .repo) -}}
{{- with get . "ref" }}{{ $env = append $env (dict "name" "GIT_REF" "value" .) }}{{ end -}}
{{- $env = append $env (dict "name" "HOME" "value" $id.home) -}}
{{- with get . "secretName" }}{{ $env = append $env (include "prewarm.pod.gitToken" . | fromJson) }}{{ end -}}
{{- toJson (dict
  "name" "git-clone"
  "image" .image
  "command" (list "sh" "-c" (include "prewarm.script.git-clone" (dict)))
  "env" $env
  "volumeMounts" (list (dict "name" $id.workspaceVolume "mountPath" $id.workspaceMount))
  "securityContext" (get . "securityContext" | default (include "prewarm.pod.containerSecurityContext" (dict) | fromJson))
) -}}
{{- end -}}

{{- /* prewarm.pod.gitToken: the EnvVar exposing the Secret named . to git. */ -}}
{{- define "prewarm.pod.gitToken" -}}
{{- toJson (dict "name" "GITHUB_TOKEN" "valueFrom" (dict "secretKeyRef" (dict "name" . "key" "GITHUB_TOKEN"))) -}}
{{- end -}}

{{- /*
prewarm.pod.setupContainer: one spec.setup entry (.setup) as the init
container Kelos builds from it: it starts in the checkout unless it names
a workingDir, sees the workspace and every volume (.volumes, the
Workspace's), and gets the Workspace env .env with its own env merged in
place. .securityContext defaults to prewarm.pod.containerSecurityContext.
*/ -}}
{{- define "prewarm.pod.setupContainer" -}}
{{- $s := .setup -}}
{{- $c := dict
  "name" $s.name
  "image" $s.image
  "workingDir" (get $s "workingDir" | default (include "prewarm.pod.repo" (dict)))
  "volumeMounts" (include "prewarm.pod.mounts" (dict "volumes" (get . "volumes")) | fromJson).items
  "securityContext" (get . "securityContext" | default (include "prewarm.pod.containerSecurityContext" (dict) | fromJson))
  "resources" (get $s "resources" | default dict)
-}}
{{- with get $s "command" }}{{ $_ := set $c "command" . }}{{ end -}}
{{- with get $s "args" }}{{ $_ := set $c "args" . }}{{ end -}}
{{- with get $s "terminationMessagePolicy" }}{{ $_ := set $c "terminationMessagePolicy" . }}{{ end -}}
{{- with (include "prewarm.pod.mergeEnv" (dict "a" (get . "env") "b" (get $s "env")) | fromJson).items }}{{ $_ := set $c "env" . }}{{ end -}}
{{- toJson $c -}}
{{- end -}}

{{- /*
prewarm.pod.warmer: the warmer's pod spec: git-clone, then every setup
container of the Workspace spec .spec (rendered with the presets in
warmer mode: caches writable), then a container that reports the end.
.gitImage runs git-clone and the last step; .podSecurityContext and
.securityContext default to the two above.
*/ -}}
{{- define "prewarm.pod.warmer" -}}
{{- $spec := .spec -}}
{{- $sc := get . "securityContext" | default (include "prewarm.pod.containerSecurityContext" (dict) | fromJson) -}}
{{- $inits := list (include "prewarm.pod.gitClone" (dict "repo" $spec.repo "ref" (get $spec "ref") "secretName" (get (get $spec "secretRef" | default dict) "name") "image" .gitImage "securityContext" $sc) | fromJson) -}}
{{- range get $spec "setup" | default list -}}
{{- $inits = append $inits (include "prewarm.pod.setupContainer" (dict "setup" . "env" (get $spec "env") "volumes" (get $spec "volumes") "securityContext" $sc) | fromJson) -}}
{{- end -}}
{{- $done := dict
  "name" "done"
  "image" .gitImage
  "command" (list "sh" "-c" "echo 'prewarm: warmer finished; every preset above printed its result line'")
  "securityContext" $sc
-}}
{{- toJson (dict
  "restartPolicy" "Never"
  "automountServiceAccountToken" false
  "securityContext" (get . "podSecurityContext" | default (include "prewarm.pod.securityContext" (dict) | fromJson))
  "initContainers" $inits
  "containers" (list $done)
  "volumes" (include "prewarm.pod.volumes" (dict "volumes" (get $spec "volumes")) | fromJson).items
) -}}
{{- end -}}
