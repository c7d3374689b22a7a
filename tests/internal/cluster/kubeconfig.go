package cluster

import (
	"encoding/base64"
	"os"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"
)

// WriteKubeconfig writes a kubeconfig for cfg (the admin bearer token and
// the control plane's CA) to path, mode 0600, with one context called name
// whose default namespace is namespace ("" for none). The helm CLI, the
// node's kubelet and controllers, and the demo's printed commands use it.
func WriteKubeconfig(path, name string, cfg *rest.Config, namespace string) error {
	ctx := map[string]any{"cluster": name, "user": "admin"}
	if namespace != "" {
		ctx["namespace"] = namespace
	}
	kc := map[string]any{
		"apiVersion": "v1",
		"kind":       "Config",
		"clusters": []any{map[string]any{"name": name, "cluster": map[string]any{
			"server":                     cfg.Host,
			"certificate-authority-data": base64.StdEncoding.EncodeToString(cfg.CAData),
		}}},
		"users":           []any{map[string]any{"name": "admin", "user": map[string]any{"token": cfg.BearerToken}}},
		"contexts":        []any{map[string]any{"name": name, "context": ctx}},
		"current-context": name,
	}
	data, err := yaml.Marshal(kc)
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o600)
}
