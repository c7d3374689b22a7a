package podtemplate

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/prewarm-dev/prewarm/pkg/api/v1alpha2"
)

// The built-in scripts (templates-go/scripts/git.sh.tpl) read every value
// from the environment, so repository URLs, branches and file paths never
// become shell source.

func builtinContainer(name, image, script string, env []corev1.EnvVar) corev1.Container {
	return corev1.Container{
		Name:            name,
		Image:           image,
		Command:         []string{"sh", "-c", script},
		Env:             env,
		VolumeMounts:    workspaceMounts(),
		SecurityContext: containerSecurityContext(),
	}
}

// gitCloneContainer is templates-go "prewarm.pod.gitClone", as the warmer runs it.
func gitCloneContainer(ws *v1alpha2.Workspace, o Options) corev1.Container {
	in := map[string]any{"repo": ws.Spec.Repo, "ref": ws.Spec.Ref, "image": o.GitImage}
	if ws.Spec.SecretRef != nil {
		in["secretName"] = ws.Spec.SecretRef.Name
	}
	var c corev1.Container
	part("prewarm.pod.gitClone", in, &c)
	return c
}

// branchContainer is nil when the Task names no branch.
func branchContainer(ws *v1alpha2.Workspace, task *v1alpha2.Task, o Options) *corev1.Container {
	if task.Spec.Branch == "" {
		return nil
	}
	env := []corev1.EnvVar{{Name: "KELOS_BRANCH", Value: task.Spec.Branch}, {Name: "HOME", Value: HomeDir}}
	c := builtinContainer(BranchContainer, o.GitImage, builtinScript("prewarm.script.branch-setup"), append(env, gitCredentialEnv(ws)...))
	return &c
}

// filesContainer is nil when the Workspace has no files.
func filesContainer(ws *v1alpha2.Workspace, o Options) *corev1.Container {
	if len(ws.Spec.Files) == 0 {
		return nil
	}
	env := []corev1.EnvVar{{Name: "KELOS_FILE_COUNT", Value: fmt.Sprint(len(ws.Spec.Files))}}
	for i, f := range ws.Spec.Files {
		env = append(env,
			corev1.EnvVar{Name: fmt.Sprintf("KELOS_FILE_%d_PATH", i), Value: f.Path},
			corev1.EnvVar{Name: fmt.Sprintf("KELOS_FILE_%d_CONTENT", i), Value: f.Content})
	}
	c := builtinContainer(FilesContainer, o.GitImage, builtinScript("prewarm.script.workspace-files"), env)
	return &c
}

// setupContainers turns spec.setup into init containers that see the
// workspace, every user volume and spec.env, and start in the checkout
// (templates-go "prewarm.pod.setupContainer").
func setupContainers(ws *v1alpha2.Workspace) []corev1.Container {
	var out []corev1.Container
	for _, s := range ws.Spec.Setup {
		var c corev1.Container
		part("prewarm.pod.setupContainer", map[string]any{"setup": s, "env": ws.Spec.Env, "volumes": ws.Spec.Volumes}, &c)
		out = append(out, c)
	}
	return out
}

func agentContainer(ws *v1alpha2.Workspace, task *v1alpha2.Task, o Options) corev1.Container {
	image := o.AgentImage
	if task.Spec.Image != "" {
		image = task.Spec.Image
	}
	env := []corev1.EnvVar{
		{Name: "KELOS_AGENT_TYPE", Value: task.Spec.Type},
		{Name: "KELOS_PROMPT", Value: task.Spec.Prompt},
	}
	return corev1.Container{
		Name:            AgentContainer,
		Image:           image,
		WorkingDir:      RepoDir,
		Env:             mergeEnv(env, ws.Spec.Env),
		VolumeMounts:    userMounts(ws),
		SecurityContext: containerSecurityContext(),
	}
}
