package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/yaml"
)

// badQuantity finds the first malformed resource quantity in a document.
// The JSON decoder reports such a value without its path, so the CLI looks
// for it to name the field. Quantities live in requests/limits maps and in
// sizeLimit fields.
func badQuantity(raw []byte) (path, value string, found bool) {
	var obj any
	if err := yaml.Unmarshal(raw, &obj); err != nil {
		return "", "", false
	}
	return walkQuantities(obj, "", false)
}

func walkQuantities(node any, path string, isQuantity bool) (string, string, bool) {
	switch n := node.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(n)) {
			inMap := k == "requests" || k == "limits"
			if p, v, ok := walkQuantities(n[k], joinPath(path, k), k == "sizeLimit" || (isQuantity && !inMap)); ok {
				return p, v, true
			}
			if inMap {
				if m, ok := n[k].(map[string]any); ok {
					if p, v, ok := quantityMap(m, joinPath(path, k)); ok {
						return p, v, true
					}
				}
			}
		}
	case []any:
		for i, item := range n {
			if p, v, ok := walkQuantities(item, fmt.Sprintf("%s[%d]", path, i), false); ok {
				return p, v, true
			}
		}
	case string:
		if isQuantity {
			if _, err := resource.ParseQuantity(n); err != nil {
				return path, n, true
			}
		}
	}
	return "", "", false
}

func quantityMap(m map[string]any, path string) (string, string, bool) {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if s, ok := m[k].(string); ok {
			if _, err := resource.ParseQuantity(s); err != nil {
				return path + "." + k, s, true
			}
		}
	}
	return "", "", false
}

func joinPath(base, key string) string {
	if base == "" {
		return key
	}
	return base + "." + key
}

// explainQuantityError rewrites the decoder's pathless quantity error.
func explainQuantityError(raw []byte, err error) error {
	if !strings.Contains(err.Error(), "quantities must match") {
		return err
	}
	if p, v, ok := badQuantity(raw); ok {
		return fmt.Errorf("%s: %q is not a quantity (use forms such as 500m, 2, 512Mi, 10Gi)", p, v)
	}
	return err
}
