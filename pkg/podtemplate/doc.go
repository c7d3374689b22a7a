// Package podtemplate renders the batch/v1 Job Kelos would create for a Task
// on a Workspace, including the setup init containers and volumes of the
// Workspace extension. It is pure: no clock, environment or client.
//
// Each part of the pod (volumes, mounts, env, one function per init
// container, the agent) is built by its own small function and merged in
// Render, in the order git-clone → branch-setup → workspace-files →
// spec.setup[i] → agent.
package podtemplate
