// Command crdbounds adds size bounds to the generated Workspace CRD where
// the schema comes from corev1 types we cannot annotate (EnvVar, resource
// maps). Without them the API server estimates the CEL rules on those
// fields as unbounded and refuses the CRD for exceeding its cost budget.
// `make generate` runs it after controller-gen.
package main

import (
	"fmt"
	"os"

	"sigs.k8s.io/yaml"
)

const (
	maxEnvNameLength   = 253 // an env var name longer than this is never useful
	maxResourceEntries = 16
	maxQuantityLength  = 64
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: crdbounds CRD.yaml")
		os.Exit(2)
	}
	if err := patchFile(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "crdbounds:", err)
		os.Exit(1)
	}
}

func patchFile(path string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var crd map[string]any
	if err := yaml.Unmarshal(raw, &crd); err != nil {
		return err
	}
	versions, _ := dig(crd, "spec", "versions").([]any)
	for _, v := range versions {
		spec, _ := dig(v, "schema", "openAPIV3Schema", "properties", "spec").(map[string]any)
		if spec == nil {
			return fmt.Errorf("%s: no spec schema", path)
		}
		if err := boundSpec(spec); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	out, err := yaml.Marshal(crd)
	if err != nil {
		return err
	}
	return os.WriteFile(path, append([]byte("---\n"), out...), 0o644)
}

func boundSpec(spec map[string]any) error {
	setup := dig(spec, "properties", "setup", "items")
	targets := []struct {
		where string
		node  any
		apply func(map[string]any)
	}{
		{"spec.env[].name", dig(spec, "properties", "env", "items", "properties", "name"), setMax("maxLength", maxEnvNameLength)},
		{"spec.setup[].env[].name", dig(setup, "properties", "env", "items", "properties", "name"), setMax("maxLength", maxEnvNameLength)},
		{"spec.setup[].resources.requests", dig(setup, "properties", "resources", "properties", "requests"), boundQuantities},
		{"spec.setup[].resources.limits", dig(setup, "properties", "resources", "properties", "limits"), boundQuantities},
	}
	for _, t := range targets {
		m, ok := t.node.(map[string]any)
		if !ok {
			return fmt.Errorf("schema for %s not found", t.where)
		}
		t.apply(m)
	}
	return nil
}

func setMax(key string, n int) func(map[string]any) {
	return func(m map[string]any) { m[key] = n }
}

func boundQuantities(m map[string]any) {
	m["maxProperties"] = maxResourceEntries
	if ap, ok := m["additionalProperties"].(map[string]any); ok {
		ap["maxLength"] = maxQuantityLength
	}
}

// dig walks nested maps; it returns nil when a key is missing.
func dig(node any, keys ...string) any {
	for _, k := range keys {
		m, ok := node.(map[string]any)
		if !ok {
			return nil
		}
		node = m[k]
	}
	return node
}
