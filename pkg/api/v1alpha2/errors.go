package v1alpha2

import (
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// FormatInvalid is the one way prewarm prints field errors: "<subject> is
// invalid:" followed by one indented line per error, each naming its field
// path. Empty when errs is.
func FormatInvalid(subject string, errs field.ErrorList) string {
	if len(errs) == 0 {
		return ""
	}
	msgs := make([]string, 0, len(errs))
	for _, e := range errs {
		msgs = append(msgs, e.Error())
	}
	return subject + " is invalid:\n  " + strings.Join(msgs, "\n  ")
}
