package podtemplate

import (
	"fmt"
	"sync"

	templatesgo "github.com/prewarm-dev/prewarm/templates-go"
)

var builtinScripts = sync.OnceValues(func() (map[string]string, error) {
	out := map[string]string{}
	for _, name := range []string{"prewarm.script.branch-setup", "prewarm.script.workspace-files"} {
		s, err := templatesgo.Execute(name, map[string]any{})
		if err != nil {
			return nil, err
		}
		out[name] = s
	}
	return out, nil
})

// builtinScript returns an embedded script. Render checks builtinScripts
// first, so the panic marks a build defect that tests catch.
func builtinScript(name string) string {
	scripts, err := builtinScripts()
	if err != nil {
		panic(fmt.Sprintf("embedded template %s: %v", name, err))
	}
	return scripts[name]
}
