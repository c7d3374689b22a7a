{{/*
How prewarm reaches Kelos (kelos.integration). The Workspace spec of
"prewarm-workspace.spec" is the one source: extension writes it as is;
admission and podOverrides split it into a plain Workspace (fields released
Kelos has) and the pod additions built here, as Go's
podtemplate.KelosPodOverrides does (a parity test compares them).
*/}}

{{/* The integration, checked. */}}
{{- define "prewarm-workspace.integration" -}}
{{- $i := .Values.kelos.integration | default "admission" -}}
{{- if not (has $i (list "admission" "podOverrides" "extension")) -}}
{{- fail (printf "kelos.integration: %q is not supported (admission, podOverrides, extension)" $i) -}}
{{- end -}}
{{- /* Against a cluster (its discovery lists v1/Pod) ask it; a client-only
render (helm template, prewarm render) goes by the Kubernetes version. */ -}}
{{- $caps := .Capabilities.APIVersions -}}
{{- $served := semverCompare ">=1.36.0-0" .Capabilities.KubeVersion.Version -}}
{{- if $caps.Has "v1/Pod" }}{{ $served = $caps.Has "admissionregistration.k8s.io/v1/MutatingAdmissionPolicy" }}{{ end -}}
{{- if and (eq $i "admission") (not $served) -}}
{{- fail (printf "kelos.integration=admission needs admissionregistration.k8s.io/v1 MutatingAdmissionPolicy (Kubernetes >= 1.36), which this cluster (Kubernetes %s) does not serve: set kelos.integration=podOverrides" .Capabilities.KubeVersion.Version) -}}
{{- end -}}
{{- $i -}}
{{- end -}}

{{- define "prewarm-workspace.workspaceName" -}}
{{- .Values.workspace.name | default (include "prewarm-workspace.fullname" .) -}}
{{- end -}}

{{/* The Workspace spec this integration writes, as JSON. */}}
{{- define "prewarm-workspace.workspaceSpec" -}}
{{- $spec := include "prewarm-workspace.spec" . | fromJson -}}
{{- if ne (include "prewarm-workspace.integration" .) "extension" -}}
{{- $spec = omit $spec "setup" "volumes" "env" -}}
{{- end -}}
{{- toJson $spec -}}
{{- end -}}

{{/*
The pod additions as JSON {extraInitContainers, volumes, volumeMounts, env,
labels}: the shape of a Kelos Task's spec.podOverrides.
*/}}
{{- define "prewarm-workspace.podOverrides" -}}
{{- $spec := include "prewarm-workspace.spec" . | fromJson -}}
{{- $setup := $spec.setup | default list -}}
{{- if gt (len $setup) 8 -}}
{{- $names := list }}{{ range $setup }}{{ $names = append $names .name }}{{ end -}}
{{- fail (printf "kelos.integration=%s needs %d setup containers (%s), but released Kelos accepts at most 8 podOverrides.extraInitContainers; disable presets or merge extraSetup steps" (include "prewarm-workspace.integration" .) (len $setup) (join ", " $names)) -}}
{{- end -}}
{{- $volumes := (include "prewarm.pod.volumes" (dict "volumes" $spec.volumes "noWorkspace" true) | fromJson).items -}}
{{- $mounts := (include "prewarm.pod.mounts" (dict "volumes" $spec.volumes "noWorkspace" true) | fromJson).items -}}
{{- $sc := include "prewarm-workspace.containerSecurityContext" $ | fromJson -}}
{{- $inits := list -}}
{{- range $setup -}}
{{- $inits = append $inits (include "prewarm.pod.setupContainer" (dict "setup" . "env" $spec.env "volumes" $spec.volumes "securityContext" $sc) | fromJson) -}}
{{- end -}}
{{- $out := dict "labels" (dict "prewarm.dev/workspace" (include "prewarm-workspace.workspaceName" .)) -}}
{{- with $inits }}{{ $_ := set $out "extraInitContainers" . }}{{ end -}}
{{- with $volumes }}{{ $_ := set $out "volumes" . }}{{ end -}}
{{- with $mounts }}{{ $_ := set $out "volumeMounts" . }}{{ end -}}
{{- with $spec.env }}{{ $_ := set $out "env" . }}{{ end -}}
{{- toJson $out -}}
{{- end -}}

{{/*
prewarm-workspace.cel: a JSON value (.v) as a CEL literal typed for the
Kubernetes field at .t (e.g. Object.spec.template.spec.volumes), as a
MutatingAdmissionPolicy mutation needs. Keys in .maps are string maps
(resources.limits, labels, ...), not structs. nil values are left out.
*/}}
{{- define "prewarm-workspace.cel" -}}
{{- $v := .v -}}
{{- if kindIs "map" $v -}}
{{- if .map -}}
{{- $parts := list -}}
{{- range $k := keys $v | sortAlpha }}{{ $parts = append $parts (printf "%s: %s" (toJson $k) (toJson (get $v $k))) }}{{ end -}}
{{- printf "{%s}" (join ", " $parts) -}}
{{- else -}}
{{- $parts := list -}}
{{- $t := .t -}}
{{- range $k := keys $v | sortAlpha -}}
{{- $e := get $v $k -}}
{{- if not (kindIs "invalid" $e) -}}
{{- $isMap := has $k (list "limits" "requests" "volumeAttributes" "labels" "annotations" "matchLabels" "nodeSelector") -}}
{{- $parts = append $parts (printf "%s: %s" $k (include "prewarm-workspace.cel" (dict "v" $e "t" (printf "%s.%s" $t $k) "map" $isMap))) -}}
{{- end -}}
{{- end -}}
{{- printf "%s{%s}" .t (join ", " $parts) -}}
{{- end -}}
{{- else if kindIs "slice" $v -}}
{{- $parts := list -}}
{{- $t := .t -}}
{{- range $v }}{{ $parts = append $parts (include "prewarm-workspace.cel" (dict "v" . "t" $t "map" false)) }}{{ end -}}
{{- printf "[%s]" (join ", " $parts) -}}
{{- else if kindIs "float64" $v -}}
{{- /* JSON numbers: integers in every field used here. */ -}}
{{- printf "%d" (int64 $v) -}}
{{- else -}}
{{- toJson $v -}}
{{- end -}}
{{- end -}}

{{/* Cluster-scoped names of the admission policy and binding. */}}
{{- define "prewarm-workspace.policyName" -}}
{{- printf "prewarm.%s.%s" .Release.Namespace (include "prewarm-workspace.fullname" .) -}}
{{- end -}}
