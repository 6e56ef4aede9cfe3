package engine

// Guarantees, and the one window left.
//
// Every state change of an execution is one transaction that also inserts
// the job that continues it (store.Tx.JobInsert), so a crash leaves either
// the old state with its old job or the new state with its new job. Jobs
// carry the execution's token; each state change increments it, so a job
// that runs twice, late, or after Cancel finds a different token and does
// nothing. Completing River jobs is left to River's batch completer.
//
// Pure nodes (triggers, condition, split, set_attribute, end) run in the
// advance transaction, up to Options.PureBudget per transaction; their
// steps are written in one batch (store.Tx.StepInsertMany). A new
// execution's opening pure nodes run in its start transaction (eager
// start, see StartManyTx), which inserts it in the state its first job
// would have left, so the same guarantee holds: the row, its steps and the
// job that continues it commit together or not at all.
//
// Delays and wait timeouts are River jobs scheduled at their due time, or,
// when further off than Options.TimerHorizon, a time kept on the
// execution's row that RunWakeups turns into that job later (wakeup.go);
// nothing waits in memory. ResumeTx runs inside the transaction that stores
// the incoming event, so an event either resumes its waits and is stored,
// or neither.
//
// Side effects go through the outbox: transaction 1 records the step
// RUNNING and the outbox entry under the key "<execution>:<step seq>"
// (the same on every attempt, and sent as the Idempotency-Key header of
// http.request) and commits; the call is made outside any transaction;
// a transaction records the outcome on the outbox entry (DONE or FAILED),
// the step's result, and moves on (in the advance group commit, batch.go).
// A job that finds the entry DONE uses the recorded response and does not
// call again.
//
// Each call's attempt is counted in a commit before the call. When the
// job that will call is the one whose transaction leaves the call pending
// (transaction 1, or the result transaction of the call before), the
// count rides in that transaction (readyCall): the side effect's
// EffectAdmitter is asked there, and one of Options.MaxUncommittedCalls
// is taken there without waiting; the call is then made as soon as it
// commits. A call held by the limit, or finding no slot free, is counted
// in a commit of its own before the call as before (recordAttempt), after
// waiting for its slot. A job cancelled between such a commit and its
// call hands the execution back without calling: the attempt stays
// counted (the count may exceed the calls, never fall short of them).
//
// Calls made by the starting process (Options.CallAfterStart,
// dispatch.go): an eager start that reaches a side effect prepares it in
// the start transaction (step RUNNING, outbox entry, the side effect's own
// rows; Prepare runs there before the execution's row is written) and
// gives it a caller. The process's dispatcher, when its queue has room and
// the EffectAdmitter lets the call through: the entry is inserted with its
// first attempt counted, the execution's row gets a recovery time (WakeAt,
// 3.5 minutes ahead) and no job is inserted; once the start commits, the
// dispatcher checks that the execution is still at that token (a cancel
// makes no call), takes a call slot, calls, and records the outcome
// through the advance group commit, which clears the recovery time. It
// starts no call later than 30 s after the start, cuts a call 60 s after
// that, and records within 90 s; a call still waiting past its start
// window is handed to a job. Otherwise an advance job is inserted with
// the start and calls as above. The row also names the calling process
// (CallNode, Options.NodeID), which renews a heartbeat (node.go): when a
// process dies, another node sees its heartbeat lapse (the lease expiry,
// 10 s) and moves its executions' recovery time to now and their token
// on, and RunWakeups turns them into advance jobs at once; each finds
// the entry PENDING with its attempt counted and calls, as a retry does.
// Without a heartbeat (no node ID, or the recovery time already claimed)
// the job runs at the recovery time. A process whose heartbeat lapsed
// makes none of those calls any more: the moved token fails its check,
// and it starts no call unless its heartbeat is fresh. Stopping
// (StopCalls) hands the calls still waiting to jobs in one transaction
// per tenant (clearing their recovery time), lets the calls under way
// finish and record, then deletes the heartbeat.
//
// The window: a crash after the remote side accepted the call and before
// the outcome transaction commits leaves the entry PENDING, and the job's
// retry (or the recovery job) makes the call again. Providers that honour
// the idempotency key make that harmless; others may see the call twice. This is at-least-once,
// narrowed to the time between the response and one small commit.
