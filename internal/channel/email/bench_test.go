package email_test

import (
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/channel/email"
	"github.com/nextflow-dev/nextflow/internal/channel/email/smtptest"
)

// BenchmarkSend measures sends against the in-process sink over the pool,
// from parallel goroutines (as advance jobs call it); it reports sends/s
// and the process's CPU time per send (the client and the sink).
func BenchmarkSend(b *testing.B) {
	for _, conns := range []int{1, 4, 8} {
		b.Run("conns="+strconv.Itoa(conns), func(b *testing.B) {
			srv, err := smtptest.Start(smtptest.Options{Discard: true})
			require.NoError(b, err)
			b.Cleanup(func() { _ = srv.Close() })
			sender, err := email.NewSender(email.Options{Allow: []string{"127.0.0.1"}, MaxConns: conns, MaxMsgsPerConn: 1 << 30})
			require.NoError(b, err)
			b.Cleanup(func() { _ = sender.Close() })
			cfg := email.Config{Host: srv.Host, Port: srv.Port, TLS: email.TLSNone, From: "Acme <hello@acme.test>"}
			var n atomic.Int64
			b.SetParallelism(4)
			cpu0 := processCPU()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					m := email.Message{To: "ada@example.test", Subject: "Hello", HTML: "<p>Hello Ada</p>", Text: "Hello Ada",
						MessageID: email.MessageIDFor("bench:"+strconv.FormatInt(i, 10), cfg.From), UnsubscribeURL: "https://x.test/u/abc"}
					if _, err := sender.Send(b.Context(), cfg, m); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sends/s")
			b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/send")
			require.EqualValues(b, b.N, srv.Count())
		})
	}
}

// processCPU is the user and system CPU time the process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
