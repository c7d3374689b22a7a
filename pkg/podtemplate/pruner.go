package podtemplate

import (
	corev1 "k8s.io/api/core/v1"
)

// PrunerOptions are the inputs of one cache's pruner pod.
type PrunerOptions struct {
	// Cache names the cache; it is mounted at /cache/<Cache>.
	Cache string `json:"cache"`
	// ClaimName and SubPath locate the cache volume.
	ClaimName string `json:"claimName"`
	SubPath   string `json:"subPath,omitempty"`
	// BudgetBytes is the byte budget the pruner trims the cache to.
	BudgetBytes string `json:"budgetBytes"`
	// Image runs the prune script; ImagePullPolicy is left unset when empty.
	Image           string            `json:"image"`
	ImagePullPolicy corev1.PullPolicy `json:"imagePullPolicy,omitempty"`
	// Argv0 is the script's $0 (its name in messages); default prewarm-prune.
	Argv0     string                       `json:"argv0,omitempty"`
	Resources *corev1.ResourceRequirements `json:"resources,omitempty"`
	// PodSecurityContext and SecurityContext are left out when nil.
	PodSecurityContext *corev1.PodSecurityContext `json:"podSecurityContext,omitempty"`
	SecurityContext    *corev1.SecurityContext    `json:"securityContext,omitempty"`
	// Tmp adds a small emptyDir at /tmp (for a read-only root file system).
	Tmp bool `json:"tmp,omitempty"`
}

// PrunerPodSpec is the pod of a cache's pruner CronJob: templates-go's
// "prewarm.pod.pruner", which both charts render.
func PrunerPodSpec(o PrunerOptions) (spec corev1.PodSpec, err error) {
	defer recoverPart(&err)
	part("prewarm.pod.pruner", o, &spec)
	return spec, nil
}

// DefaultSecurityContexts are the Task pod's pod and container security
// contexts (templates-go "prewarm.pod.securityContext" and
// "prewarm.pod.containerSecurityContext").
func DefaultSecurityContexts() (pod *corev1.PodSecurityContext, container *corev1.SecurityContext, err error) {
	defer recoverPart(&err)
	return podSecurityContext(), containerSecurityContext(), nil
}
