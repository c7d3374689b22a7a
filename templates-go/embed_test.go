package templatesgo

import (
	"strings"
	"testing"
	"text/template"
)

// TestMissingScriptError executes a template set that lacks the script
// (moved here from pkg/presets with the one execute both now use).
func TestMissingScriptError(t *testing.T) {
	_, err := execute(template.New("empty"), "prewarm.script.npm", map[string]any{})
	if err == nil || !strings.Contains(err.Error(), `template "prewarm.script.npm" is not defined`) {
		t.Errorf("execute without the script = %v, want a clear missing-define error", err)
	}
}
