package api

// NoInput is the input of an operation that takes no path, query, header
// or body parameters.
type NoInput struct{}

// NoContentOutput is the output of an operation that answers with a
// status and no body (204 unless the operation says otherwise).
type NoContentOutput struct{}
