package v1alpha2

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// WorkspaceSpec describes the repository an agent works on and how its pod is
// prepared before the agent starts.
type WorkspaceSpec struct {
	// Repo is the git repository URL to clone.
	// +kubebuilder:validation:Pattern=`^(https?://|git://|ssh://|git@).+`
	// +kubebuilder:validation:MaxLength=2048
	Repo string `json:"repo"`

	// Ref is the branch or tag to check out (git clone --branch); empty means the
	// repository's default branch.
	// +kubebuilder:validation:MaxLength=255
	// +optional
	Ref string `json:"ref,omitempty"`

	// SecretRef names a Secret with git credentials (GITHUB_TOKEN).
	// +optional
	SecretRef *SecretReference `json:"secretRef,omitempty"`

	// Remotes are additional git remotes configured after the clone (Kelos).
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:XValidation:rule="self.all(r, r.name != 'origin')",message="remote name 'origin' is reserved for the clone source"
	// +kubebuilder:validation:XValidation:rule="self.map(r, r.name).size() == self.size()",message="remote names must be unique"
	// +optional
	Remotes []GitRemote `json:"remotes,omitempty"`

	// GHProxy enables Kelos' workspace-scoped ghproxy when set (Kelos).
	// +optional
	GHProxy *GHProxy `json:"ghproxy,omitempty"`

	// SetupCommand runs in the agent container before the agent starts, in
	// exec form (Kelos).
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=64
	// +optional
	SetupCommand []string `json:"setupCommand,omitempty"`

	// Files are written into the repository checkout before setup runs.
	// +kubebuilder:validation:MaxItems=64
	// +listType=map
	// +listMapKey=path
	// +optional
	Files []WorkspaceFile `json:"files,omitempty"`

	// Setup containers run as init containers after the clone, branch
	// checkout and file injection, before the agent, in list order. Each
	// mounts the workspace at /workspace and every entry of volumes.
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:XValidation:rule="self.all(c, !(c.name in ['workspace', 'git-clone', 'remote-setup', 'branch-setup', 'workspace-files', 'plugin-setup', 'skills-install', 'agent']) && !c.name.startsWith('kelos-'))",message="setup names workspace, git-clone, remote-setup, branch-setup, workspace-files, plugin-setup, skills-install, agent and kelos-* are reserved"
	// +listType=map
	// +listMapKey=name
	// +optional
	Setup []SetupContainer `json:"setup,omitempty"`

	// Volumes are mounted into every setup container and the agent, in
	// addition to the workspace EmptyDir.
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:XValidation:rule="self.all(v, !(v.name == 'workspace') && !v.name.startsWith('kelos-'))",message="volume names workspace and kelos-* are reserved"
	// +kubebuilder:validation:XValidation:rule="self.all(a, self.exists_one(b, b.mountPath == a.mountPath))",message="mountPath must be unique across volumes"
	// +listType=map
	// +listMapKey=name
	// +optional
	Volumes []WorkspaceVolume `json:"volumes,omitempty"`

	// Env is set on every setup container and the agent, so the agent finds
	// what setup relocated (GOMODCACHE, npm_config_cache, ...). HOME and
	// KELOS_* are Kelos' own and refused: the agent keeps its image's HOME.
	// prewarm extension.
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:XValidation:rule="self.all(e, e.name.size() > 0 && !e.name.contains('='))",message="env names must be non-empty and must not contain '='"
	// +kubebuilder:validation:XValidation:rule="self.all(e, e.name != 'HOME' && !e.name.startsWith('KELOS_'))",message="env names HOME and KELOS_* are reserved by Kelos: the agent keeps its image's HOME; point each tool at its cache with the tool's own variable"
	// +listType=map
	// +listMapKey=name
	// +optional
	Env []corev1.EnvVar `json:"env,omitempty"`
}

// GitRemote is an additional git remote (Kelos).
type GitRemote struct {
	// Name is the git remote name (not "origin").
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	Name string `json:"name"`
	// URL is the remote's git URL.
	// +kubebuilder:validation:Pattern=`^(https?://|git://|git@).*`
	// +kubebuilder:validation:MaxLength=2048
	URL string `json:"url"`
}

// GHProxy enables Kelos' workspace-scoped ghproxy; Kelos' schema has no
// fields yet.
type GHProxy struct{}

// SecretReference names a Secret in the Workspace's namespace.
type SecretReference struct {
	// Name of the Secret.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
}

// WorkspaceFile is a file written into the checkout before setup.
type WorkspaceFile struct {
	// Path relative to the repository root; no "..", not absolute.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:XValidation:rule="!self.startsWith('/') && !self.split('/').exists(p, p == '..')",message="path must be relative and must not contain '..'"
	Path string `json:"path"`
	// Content is the file's content.
	// +kubebuilder:validation:MaxLength=262144
	Content string `json:"content"`
}

// SetupContainer is one init container that prepares the workspace.
// +kubebuilder:validation:XValidation:rule="!has(self.resources) || !has(self.resources.requests) || !has(self.resources.limits) || self.resources.requests.all(k, !(k in self.resources.limits) || quantity(self.resources.requests[k]).compareTo(quantity(self.resources.limits[k])) <= 0)",message="resources.requests must not exceed resources.limits"
type SetupContainer struct {
	// Name is a DNS-1123 label, unique within setup and not reserved.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name"`
	// Image is the container image.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=512
	Image string `json:"image"`
	// Command overrides the image entrypoint.
	// +optional
	Command []string `json:"command,omitempty"`
	// Args are passed to the command.
	// +optional
	Args []string `json:"args,omitempty"`
	// Env is set on this container only, after spec.env.
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:XValidation:rule="self.all(e, e.name.size() > 0 && !e.name.contains('='))",message="env names must be non-empty and must not contain '='"
	// +listType=map
	// +listMapKey=name
	// +optional
	Env []corev1.EnvVar `json:"env,omitempty"`
	// WorkingDir defaults to /workspace/repo.
	// +kubebuilder:validation:Pattern=`^/`
	// +optional
	WorkingDir string `json:"workingDir,omitempty"`
	// Resources are the container's requests and limits.
	// +optional
	Resources corev1.ResourceRequirements `json:"resources,omitempty"`
	// TerminationMessagePolicy is the container's; FallbackToLogsOnError
	// lets a failed setup's last log lines reach the pod status.
	// +kubebuilder:validation:Enum=File;FallbackToLogsOnError
	// +optional
	TerminationMessagePolicy corev1.TerminationMessagePolicy `json:"terminationMessagePolicy,omitempty"`
}

// WorkspaceVolume is a volume mounted into setup containers and the agent.
type WorkspaceVolume struct {
	// Name is a DNS-1123 label, unique within volumes.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name"`
	// MountPath is absolute, not /workspace itself, and unique.
	// +kubebuilder:validation:MinLength=2
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:Pattern=`^/`
	// +kubebuilder:validation:XValidation:rule="self != '/workspace' && self != '/workspace/' && !self.split('/').exists(p, p == '..')",message="mountPath must not be /workspace and must not contain '..'"
	MountPath string `json:"mountPath"`
	// SubPath mounts one directory of the source, so a single cache PVC can
	// serve several mounts. prewarm extension.
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:XValidation:rule="!self.startsWith('/') && !self.split('/').exists(p, p == '..')",message="subPath must be relative and must not contain '..'"
	// +optional
	SubPath string `json:"subPath,omitempty"`
	// ReadOnly mounts the volume read-only everywhere.
	// +optional
	ReadOnly bool `json:"readOnly,omitempty"`
	// Source is exactly one Kubernetes volume source. Allowed:
	// persistentVolumeClaim, configMap, secret, emptyDir, ephemeral, csi.
	// +kubebuilder:validation:XValidation:rule="[has(self.hostPath), has(self.emptyDir), has(self.gcePersistentDisk), has(self.awsElasticBlockStore), has(self.gitRepo), has(self.secret), has(self.nfs), has(self.iscsi), has(self.glusterfs), has(self.persistentVolumeClaim), has(self.rbd), has(self.flexVolume), has(self.cinder), has(self.cephfs), has(self.flocker), has(self.downwardAPI), has(self.fc), has(self.azureFile), has(self.configMap), has(self.vsphereVolume), has(self.quobyte), has(self.azureDisk), has(self.photonPersistentDisk), has(self.projected), has(self.portworxVolume), has(self.scaleIO), has(self.storageos), has(self.csi), has(self.ephemeral), has(self.image)].filter(x, x).size() == 1",message="source must set exactly one volume source"
	// +kubebuilder:validation:XValidation:rule="[has(self.persistentVolumeClaim), has(self.configMap), has(self.secret), has(self.emptyDir), has(self.ephemeral), has(self.csi)].exists(x, x) || ![has(self.gcePersistentDisk), has(self.awsElasticBlockStore), has(self.gitRepo), has(self.nfs), has(self.iscsi), has(self.glusterfs), has(self.rbd), has(self.flexVolume), has(self.cinder), has(self.cephfs), has(self.flocker), has(self.downwardAPI), has(self.fc), has(self.azureFile), has(self.vsphereVolume), has(self.quobyte), has(self.azureDisk), has(self.photonPersistentDisk), has(self.projected), has(self.portworxVolume), has(self.scaleIO), has(self.storageos), has(self.image)].exists(x, x)",message="source must be one of persistentVolumeClaim, configMap, secret, emptyDir, ephemeral, csi"
	// +kubebuilder:validation:XValidation:rule="(!has(self.persistentVolumeClaim) || self.persistentVolumeClaim.claimName != '') && (!has(self.configMap) || (has(self.configMap.name) && self.configMap.name != '')) && (!has(self.secret) || (has(self.secret.secretName) && self.secret.secretName != '')) && (!has(self.csi) || self.csi.driver != '') && (!has(self.ephemeral) || has(self.ephemeral.volumeClaimTemplate))",message="source must name what it mounts: persistentVolumeClaim.claimName, configMap.name, secret.secretName, csi.driver or ephemeral.volumeClaimTemplate"
	// +kubebuilder:validation:XValidation:rule="!has(self.hostPath)",message="hostPath is not allowed; it is only for local development without the API server"
	Source corev1.VolumeSource `json:"source"`
}

// +kubebuilder:object:root=true
// +kubebuilder:resource:shortName=ws
// +kubebuilder:storageversion
// +kubebuilder:metadata:annotations="prewarm.dev/warning=For clusters WITHOUT Kelos only. Never apply over Kelos' own workspaces.kelos.dev CRD."
// +kubebuilder:validation:XValidation:rule="self.metadata.name.size() <= 63",message="metadata.name must be at most 63 characters: Task pods carry it as a label value"

// Workspace is a repository and the preparation its Task pods get: Kelos'
// kelos.dev/v1alpha2 Workspace plus prewarm's proposal (setup, volumes,
// env). This CRD is for clusters WITHOUT Kelos (demo, tests, Kelos
// developers adopting the proposal); it has the same name as Kelos' own
// CRD and must never be applied over it.
type Workspace struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec WorkspaceSpec `json:"spec"`
}

// +kubebuilder:object:root=true

// WorkspaceList is a list of Workspaces.
type WorkspaceList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Workspace `json:"items"`
}
