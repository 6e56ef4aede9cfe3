package postgres

// StepInsertManySQL exposes the statement to the plan test.
const StepInsertManySQL = stepInsertManySQL
