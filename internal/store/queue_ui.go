package store

import "riverqueue.com/riverui/uiendpoints"

// QueueUI is implemented by queues that can back River's operator UI
// (riverqueue.com/riverui): the job lists, queues and workers of every
// tenant. Only operators may see it; internal/opsui guards it.
type QueueUI interface {
	// UIEndpoints returns the River UI's API endpoints over this queue's
	// client.
	UIEndpoints() uiendpoints.Bundle
}
