// Package templatesgo holds the preset templates that both Go (pkg/presets)
// and the Helm charts render. The charts carry a generated copy written by
// `make charts`, so the templates may use only text/template, sprig and the
// two Helm built-ins provided here (include, required).
package templatesgo

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"text/template"

	"github.com/Masterminds/sprig/v3"
)

// FS holds every template file. Files named *.tpl hold `define` blocks only.
//
//go:embed scripts/*.tpl presets/*.tpl pod/*.tpl objects/*.tpl
var FS embed.FS

// Failure is the error of a template's `fail` (or `required`): the message
// a person reads, the same text Helm prints after "execution error at (...): ".
type Failure struct{ Msg string }

func (f *Failure) Error() string { return f.Msg }

// Message returns the message of the Failure inside err (as Helm shows it),
// or err's text when the template did not fail on purpose.
func Message(err error) string {
	var f *Failure
	if errors.As(err, &f) {
		return f.Msg
	}
	return err.Error()
}

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
			return nil, &Failure{Msg: msg}
		}
		return v, nil
	}
	funcs["fail"] = func(msg string) (string, error) { return "", &Failure{Msg: msg} }
	t.Funcs(funcs)
	if _, err := t.ParseFS(FS, "scripts/*.tpl", "presets/*.tpl", "pod/*.tpl", "objects/*.tpl"); err != nil {
		return nil, fmt.Errorf("parse preset templates: %w", err)
	}
	return t, nil
}

// parsed holds the templates parsed once; they never change at run time
// and a parsed template may execute concurrently.
var parsed = sync.OnceValues(Parse)

// Execute renders the named define block. A template's `fail` comes back
// as a *Failure (see Message). Every Go caller (pkg/presets, pkg/podtemplate,
// ...) renders through it or ExecuteJSON.
func Execute(name string, data any) (string, error) {
	t, err := parsed()
	if err != nil {
		return "", err
	}
	return execute(t, name, data)
}

// execute renders the define block name of t with data, after checking that
// it exists so a missing block gives a clear error.
func execute(t *template.Template, name string, data any) (string, error) {
	if t.Lookup(name) == nil {
		return "", fmt.Errorf("template %q is not defined in templates-go", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, data); err != nil {
		return "", fmt.Errorf("render %s: %w", name, err)
	}
	return buf.String(), nil
}

// ExecuteJSON renders the named block, which emits JSON, with data (any
// value; it reaches the template as the plain maps and lists Helm would
// give it) and decodes the result strictly into out.
func ExecuteJSON(name string, data, out any) error {
	plain, err := Plain(data)
	if err != nil {
		return err
	}
	text, err := Execute(name, plain)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(strings.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(out); err != nil {
		return fmt.Errorf("decode %s: %w", name, err)
	}
	if dec.More() {
		return fmt.Errorf("decode %s: unexpected data after the JSON value", name)
	}
	return nil
}

// Plain turns v into the maps, lists, strings, float64s and bools a
// template sees for the same value in a Helm chart (a JSON round trip).
func Plain(v any) (any, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, err
	}
	return out, nil
}
