package cluster

import (
	"sort"
	"sync"
)

// Warnings keeps the API server's Warning headers (set it as a
// rest.Config's WarningHandler): PodSecurity warns on Jobs instead of
// rejecting them, a ValidatingAdmissionPolicy in Warn mode only warns.
type Warnings struct {
	mu   sync.Mutex
	msgs []string
}

// HandleWarningHeader records one warning.
func (w *Warnings) HandleWarningHeader(code int, agent, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, text)
}

// Take returns the warnings recorded since the last Take, sorted, and
// forgets them.
func (w *Warnings) Take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	m := w.msgs
	w.msgs = nil
	sort.Strings(m)
	return m
}
