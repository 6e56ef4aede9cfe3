// Package archtest holds the architecture test: it reads the imports of
// every package under internal/ with go/parser and fails on an arrow
// between our packages that its allow-list does not name, or on an
// allow-list entry that points from a lower layer to a higher one.
//
// The package has no code of its own; run it with
//
//	go test ./internal/archtest/
//
// To allow a new import, add it to the importing package's rule in
// arch_test.go. To add a package, give it a rule with its layer.
package archtest
