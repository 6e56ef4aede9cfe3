package workflow

import "testing"

func BenchmarkDecodeAndValidateFixtures(b *testing.B) {
	r := Default()
	fixtures := loadFixtures(b)
	b.ReportAllocs()
	for b.Loop() {
		for _, fx := range fixtures {
			if _, problems, err := r.DecodeAndValidate(fx.definition, DefaultLimits()); err != nil || len(problems) > 0 {
				b.Fatal(err, problems)
			}
		}
	}
}

func BenchmarkDefault(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Default()
	}
}
