package whatsapp_test

import (
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nextflow-dev/nextflow/internal/channel/metafake"
	"github.com/nextflow-dev/nextflow/internal/channel/whatsapp"
)

// BenchmarkClientSend measures template sends to the fake Cloud API (no
// webhooks) from parallel goroutines, as bench engine's WhatsApp phase
// makes them; it reports sends/s and the process's CPU time per send (the
// client and the fake server).
func BenchmarkClientSend(b *testing.B) {
	fake := metafake.New(metafake.Options{})
	b.Cleanup(fake.Close)
	fake.AddWhatsAppNumber(metafake.WhatsAppNumber{PhoneNumberID: phoneID, DisplayPhoneNumber: "15550783881",
		VerifiedName: "Acme", Token: token})
	c, err := whatsapp.NewClient(whatsapp.ClientOptions{BaseURL: fake.URL(), APIVersion: "v21.0"})
	if err != nil {
		b.Fatal(err)
	}
	var n atomic.Int64
	b.SetParallelism(8)
	cpu0 := processCPU()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n.Add(1)
			m := whatsapp.Message{To: "+4915112345678", CallbackData: "0190b6a4-7c8e-7d1e-9f00-123456789abc",
				Template: &whatsapp.Template{Name: "order_update", Language: "en_US", BodyParameters: []string{"0190b6a4-7c8e-7d1e-9f00-123456789abc"}}}
			if _, err := c.Send(b.Context(), phoneID, token, m); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sends/s")
	b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/send")
}

// processCPU is the user and system CPU time the process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
