package presets

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/prewarm-dev/prewarm/pkg/api/v1alpha2"
)

// Apply renders every enabled preset, in Names() order, and merges the
// results into ws.Spec. Env and volumes already present with the same
// content are kept once; the same name with different content is an error
// naming both owners.
func Apply(ws *v1alpha2.Workspace, presets map[string]Options) error {
	if err := checkNames(presets); err != nil {
		return err
	}
	m := newMerger(ws)
	for _, name := range names {
		o, ok := presets[name]
		if !ok || !o.Enabled {
			continue
		}
		a, err := Render(name, o)
		if err != nil {
			return err
		}
		if err := m.add("preset "+name, a); err != nil {
			return err
		}
	}
	return nil
}

func checkNames(presets map[string]Options) error {
	var unknown []string
	for name := range presets {
		if !Known(name) {
			unknown = append(unknown, fmt.Sprintf("%q", name))
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	return fmt.Errorf("unknown preset %s (known: %s)", strings.Join(unknown, ", "), strings.Join(names, ", "))
}

// merger appends additions to a Workspace spec and remembers who added
// each env name, volume name, mount path and setup name.
type merger struct {
	spec   *v1alpha2.WorkspaceSpec
	owners map[string]string
}

const specOwner = "the Workspace spec"

func newMerger(ws *v1alpha2.Workspace) *merger {
	m := &merger{spec: &ws.Spec, owners: map[string]string{}}
	for _, e := range ws.Spec.Env {
		m.owners["env "+e.Name] = specOwner
	}
	for _, v := range ws.Spec.Volumes {
		m.owners["volume "+v.Name] = specOwner
		m.owners["mountPath "+v.MountPath] = specOwner
	}
	for _, c := range ws.Spec.Setup {
		m.owners["setup "+c.Name] = specOwner
	}
	return m
}

func (m *merger) add(owner string, a Additions) error {
	for _, c := range a.Setup {
		if prev, ok := m.owners["setup "+c.Name]; ok {
			return fmt.Errorf("setup container %s: added by %s and %s", c.Name, prev, owner)
		}
		m.owners["setup "+c.Name] = owner
		m.spec.Setup = append(m.spec.Setup, c)
	}
	for _, v := range a.Volumes {
		if err := m.addVolume(owner, v); err != nil {
			return err
		}
	}
	for _, e := range a.Env {
		if err := m.addEnv(owner, e); err != nil {
			return err
		}
	}
	return nil
}

func (m *merger) addVolume(owner string, v v1alpha2.WorkspaceVolume) error {
	if prev, ok := m.owners["volume "+v.Name]; ok {
		if reflect.DeepEqual(m.findVolume(v.Name), v) {
			return nil
		}
		return fmt.Errorf("volume %s: %s and %s define it differently", v.Name, prev, owner)
	}
	if prev, ok := m.owners["mountPath "+v.MountPath]; ok {
		return fmt.Errorf("mountPath %s: used by %s and by volume %s of %s", v.MountPath, prev, v.Name, owner)
	}
	if err := m.claimDirFree(owner, v); err != nil {
		return err
	}
	m.owners["volume "+v.Name] = owner
	m.owners["mountPath "+v.MountPath] = owner
	m.spec.Volumes = append(m.spec.Volumes, v)
	return nil
}

// claimDirFree refuses two presets on the same directory of one claim:
// their scripts use the same layout (store/, snapshots/) and would mix.
func (m *merger) claimDirFree(owner string, v v1alpha2.WorkspaceVolume) error {
	pvc := v.Source.PersistentVolumeClaim
	if pvc == nil || !strings.HasPrefix(owner, "preset ") {
		return nil
	}
	key := "claimDir " + pvc.ClaimName + "/" + v.SubPath
	if prev, ok := m.owners[key]; ok {
		return fmt.Errorf("claim %s subPath %q: used by %s and %s; give each preset its own cache.subPath", pvc.ClaimName, v.SubPath, prev, owner)
	}
	m.owners[key] = owner
	return nil
}

func (m *merger) findVolume(name string) v1alpha2.WorkspaceVolume {
	for _, v := range m.spec.Volumes {
		if v.Name == name {
			return v
		}
	}
	return v1alpha2.WorkspaceVolume{}
}

func (m *merger) addEnv(owner string, e corev1.EnvVar) error {
	prev, ok := m.owners["env "+e.Name]
	if !ok {
		m.owners["env "+e.Name] = owner
		m.spec.Env = append(m.spec.Env, e)
		return nil
	}
	for _, have := range m.spec.Env {
		if have.Name != e.Name {
			continue
		}
		if reflect.DeepEqual(have, e) {
			return nil
		}
		return fmt.Errorf("env %s: %s sets %s, %s sets %s", e.Name, prev, describeEnv(have), owner, describeEnv(e))
	}
	return nil
}

func describeEnv(e corev1.EnvVar) string {
	if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
		return fmt.Sprintf("secret %s key %s", e.ValueFrom.SecretKeyRef.Name, e.ValueFrom.SecretKeyRef.Key)
	}
	if e.ValueFrom != nil {
		return "a valueFrom reference"
	}
	return fmt.Sprintf("%q", e.Value)
}
