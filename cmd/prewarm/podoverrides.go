package main

import (
	"fmt"
	"io"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/prewarm-dev/prewarm/pkg/api/v1alpha1"
	"github.com/prewarm-dev/prewarm/pkg/podtemplate"
)

// writePodOverrides prints the rendered objects for released Kelos: each
// Workspace without the extension fields, followed by the podOverrides
// block that carries its setup containers, volumes and env.
func writePodOverrides(out io.Writer, manifest string, rf renderFlags) error {
	docs, err := readDocuments("-", strings.NewReader(manifest))
	if err != nil {
		return err
	}
	for _, doc := range docs {
		if h, _ := parseHeader(doc); h.Kind != "Workspace" {
			fmt.Fprintf(out, "---\n%s", strings.TrimPrefix(string(doc.raw), "---\n"))
			continue
		}
		if err := writeOneOverride(out, doc, rf); err != nil {
			return err
		}
	}
	return nil
}

func writeOneOverride(out io.Writer, doc document, rf renderFlags) error {
	var ws v1alpha1.Workspace
	if err := decodeKind(doc, "Workspace", &ws); err != nil {
		return err
	}
	plain, po, err := podtemplate.KelosPodOverrides(&ws, rf.podOpts)
	if err != nil {
		return err
	}
	wsYAML, err := yaml.Marshal(plain)
	if err != nil {
		return err
	}
	poYAML, err := yaml.Marshal(map[string]any{"podOverrides": po})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "---\n%s---\n# podOverrides for Tasks on Workspace %s (released Kelos): put it under\n# spec.podOverrides of a Task, or spec.taskTemplate.podOverrides of a TaskSpawner.\n%s", wsYAML, ws.Name, poYAML)
	return nil
}
