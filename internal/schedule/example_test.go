package schedule_test

import (
	"fmt"
	"time"

	"github.com/nextflow-dev/nextflow/internal/schedule"
)

func ExampleSchedule_NextN() {
	// Daily at 02:30 in Berlin across the 2026 spring-forward change: the
	// 29 March run happens at 03:00, the first instant after the gap.
	s, err := schedule.Parse("30 2 * * *", "Europe/Berlin")
	if err != nil {
		panic(err)
	}
	for _, t := range s.NextN(time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC), 3) {
		fmt.Println(t.Format("2006-01-02 15:04 MST"))
	}
	// Output:
	// 2026-03-29 03:00 CEST
	// 2026-03-30 02:30 CEST
	// 2026-03-31 02:30 CEST
}
