package podtemplate

import (
	"fmt"

	templatesgo "github.com/prewarm-dev/prewarm/templates-go"
)

// identity is the Task pod's identity as templates-go's
// "prewarm.pod.identity" writes it: the one owner, shared with the charts.
type identity struct {
	UID             int64  `json:"uid"`
	WorkspaceVolume string `json:"workspaceVolume"`
	WorkspaceMount  string `json:"workspaceMount"`
	Repo            string `json:"repo"`
	Home            string `json:"home"`
}

func mustIdentity() identity {
	var id identity
	if err := templatesgo.ExecuteJSON("prewarm.pod.identity", map[string]any{}, &id); err != nil {
		panic(fmt.Sprintf("templates-go prewarm.pod.identity: %v", err))
	}
	return id
}

var podIdentity = mustIdentity()

// Fixed identities of the Task pod, read from templates-go.
var (
	AgentUID        = podIdentity.UID
	WorkspaceVolume = podIdentity.WorkspaceVolume
	WorkspaceMount  = podIdentity.WorkspaceMount
	RepoDir         = podIdentity.Repo
	HomeDir         = podIdentity.Home
)

// Names of the Task pod's own containers.
const (
	AgentContainer    = "agent"
	GitCloneContainer = "git-clone"
	BranchContainer   = "branch-setup"
	FilesContainer    = "workspace-files"
)

// Default images, pinned so renders are reproducible.
const (
	DefaultGitImage   = "alpine/git:v2.47.2"
	DefaultAgentImage = "ghcr.io/kelos-dev/claude-code:v0.9.0"
)

// Options are the inputs Kelos takes from its own configuration.
type Options struct {
	// AgentImage overrides the agent image; Task.spec.image wins over it.
	AgentImage string
	// GitImage runs git-clone and branch-setup.
	GitImage string
	// AllowHostPath accepts hostPath volumes (local development only).
	AllowHostPath bool
	// ActiveDeadlineSeconds bounds the whole pod, setup included; 0 = none.
	ActiveDeadlineSeconds int64
}

func (o Options) withDefaults() Options {
	if o.GitImage == "" {
		o.GitImage = DefaultGitImage
	}
	if o.AgentImage == "" {
		o.AgentImage = DefaultAgentImage
	}
	return o
}

// InputError reports a Workspace or Task that cannot be rendered.
type InputError struct{ Msg string }

func (e *InputError) Error() string { return e.Msg }

func inputErrorf(format string, a ...any) error { return &InputError{Msg: fmt.Sprintf(format, a...)} }
