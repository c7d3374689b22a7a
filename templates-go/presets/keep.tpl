{{- /*
prewarm.keepAnnotations: the annotations that keep a cache PVC, as JSON.
One owner for both charts. Each tool deletes a resource that leaves the
render in its own way, so each needs its own word:
- helm.sh/resource-policy: keep - helm uninstall and upgrade keep it;
- argocd.argoproj.io/sync-options: Prune=false - Argo CD's automated prune
  leaves it (Argo CD ignores Helm's resource policy);
- kustomize.toolkit.fluxcd.io/prune: disabled - Flux's garbage collection
  leaves it.
*/ -}}
{{- define "prewarm.keepAnnotations" -}}
{{- toJson (dict
  "helm.sh/resource-policy" "keep"
  "argocd.argoproj.io/sync-options" "Prune=false"
  "kustomize.toolkit.fluxcd.io/prune" "disabled"
) -}}
{{- end -}}
