package postgres

// StepUpdateManySQL exposes the statement to the HOT update test.
const StepUpdateManySQL = stepUpdateManySQL
