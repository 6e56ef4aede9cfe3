package postgres

// StepInsertManySQL exposes the statement to the plan test.
const StepInsertManySQL = stepInsertManySQL

// MessageMarkSentManySQL exposes the statement to the HOT update test.
const MessageMarkSentManySQL = messageMarkSentManySQL

// OutboxUpdateManySQL exposes the statement to the HOT update test.
const OutboxUpdateManySQL = outboxUpdateManySQL

// ExecutionInsertManySQL and ExecutionInsertManyKeylessSQL expose the two
// forms of the bulk execution insert to the WAL test.
const (
	ExecutionInsertManySQL        = executionInsertManySQL
	ExecutionInsertManyKeylessSQL = executionInsertManyKeylessSQL
)

// EventInsertManySQL and EventInsertManyPlainSQL expose the two forms of
// the event insert to the WAL test.
const (
	EventInsertManySQL      = eventInsertManySQL
	EventInsertManyPlainSQL = eventInsertManyPlainSQL
)

// MessageInsertManySQL exposes the batch message insert to the WAL test.
const MessageInsertManySQL = messageInsertManySQL
