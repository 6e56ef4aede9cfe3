package engine

import "fmt"

// Executable tells whether this engine can run nodes of nodeType: the
// built-in kinds (triggers, condition, split, set_attribute, delay,
// wait_for_event, end) and every side effect registered through
// Options.SideEffects. When it cannot, reason says why in words a
// workflow's author can act on. A step type becomes executable as soon as
// its side effect is registered; nothing here lists them.
func (e *Engine) Executable(nodeType string) (ok bool, reason string) {
	if _, ok := e.category(nodeType); ok {
		return true, ""
	}
	return false, fmt.Sprintf("this server cannot run %q steps yet: no sender or provider for it is set up", nodeType)
}
