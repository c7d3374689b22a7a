package podtemplate

import (
	"fmt"

	templatesgo "github.com/prewarm-dev/prewarm/templates-go"
)

// part renders the templates-go block name (the pod parts the charts render
// too) with data into out. The blocks take validated input and fail only
// on a defect in templates-go, so part panics and the exported entry
// points turn the panic into an error (recoverPart).
func part(name string, data, out any) {
	if err := templatesgo.ExecuteJSON(name, data, out); err != nil {
		panic(partError{fmt.Errorf("templates-go %s: %w", name, err)})
	}
}

type partError struct{ err error }

// recoverPart turns part's panic into *errp; other panics go on.
func recoverPart(errp *error) {
	if r := recover(); r != nil {
		pe, ok := r.(partError)
		if !ok {
			panic(r)
		}
		*errp = pe.err
	}
}

// items is the shape list-valued blocks emit.
type items[T any] struct {
	Items []T `json:"items"`
}
