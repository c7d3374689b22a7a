package v1alpha2

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// TaskSpec is the part of a Kelos Task that shapes its pod.
type TaskSpec struct {
	// Type is the agent kind, for example claude-code or codex.
	// +kubebuilder:validation:MinLength=1
	Type string `json:"type"`
	// Prompt is the instruction given to the agent.
	Prompt string `json:"prompt"`
	// Branch, when set, is checked out (or created) after the clone.
	// +optional
	Branch string `json:"branch,omitempty"`
	// WorkspaceRef names the Workspace the Task runs on.
	// +optional
	WorkspaceRef *WorkspaceReference `json:"workspaceRef,omitempty"`
	// Image overrides the agent image.
	// +optional
	Image string `json:"image,omitempty"`
}

// WorkspaceReference refers to a Workspace by name.
type WorkspaceReference struct {
	// Name of the Workspace.
	Name string `json:"name"`
}

// +kubebuilder:object:root=true

// Task is one agent run.
type Task struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec TaskSpec `json:"spec"`
}

// +kubebuilder:object:root=true

// TaskList is a list of Tasks.
type TaskList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Task `json:"items"`
}
