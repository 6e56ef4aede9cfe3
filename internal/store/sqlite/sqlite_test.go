package sqlite_test

import (
	"testing"

	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

func TestExercise(t *testing.T) {
	t.Parallel()
	storetest.Exercise(t, func(t *testing.T) store.Store { return storetest.SQLite(t) })
}

func TestExerciseQueueLease(t *testing.T) {
	t.Parallel()
	storetest.ExerciseQueueLease(t, func(t *testing.T, opts ...storetest.Option) store.Store { return storetest.SQLite(t, opts...) })
}
