// Package templatesgo holds the preset templates that both Go (pkg/presets)
// and the Helm charts render. The charts carry a generated copy written by
// `make charts`, so the templates may use only text/template, sprig and the
// two Helm built-ins provided here (include, required).
package templatesgo

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"text/template"

	"github.com/Masterminds/sprig/v3"
)

// FS holds every template file. Files named *.tpl hold `define` blocks only.
//
//go:embed scripts/*.tpl presets/*.tpl
var FS embed.FS

// Parse returns all templates parsed with the same function set Helm offers,
// so a template that works here works unchanged inside a chart.
func Parse() (*template.Template, error) {
	t := template.New("prewarm").Option("missingkey=error")
	funcs := sprig.TxtFuncMap()
	// Helm removes these two from sprig; keep the Go side equally strict so
	// a template cannot depend on the environment or the clock.
	delete(funcs, "env")
	delete(funcs, "expandenv")
	funcs["include"] = func(name string, data any) (string, error) {
		var buf bytes.Buffer
		if err := t.ExecuteTemplate(&buf, name, data); err != nil {
			return "", err
		}
		return buf.String(), nil
	}
	funcs["required"] = func(msg string, v any) (any, error) {
		if v == nil || v == "" {
			return nil, errors.New(msg)
		}
		return v, nil
	}
	t.Funcs(funcs)
	if _, err := t.ParseFS(FS, "scripts/*.tpl", "presets/*.tpl"); err != nil {
		return nil, fmt.Errorf("parse preset templates: %w", err)
	}
	return t, nil
}

// Execute renders the named define block.
func Execute(name string, data any) (string, error) {
	t, err := Parse()
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, data); err != nil {
		return "", fmt.Errorf("render %s: %w", name, err)
	}
	return buf.String(), nil
}
