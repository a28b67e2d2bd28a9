package task

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// bigSecrets returns n secrets of 8 KiB each and a 64 KiB answer that holds the first of them
// once, JSON-escaped, so that a benchmark measures the whole search and the masking.
func bigSecrets(n int) (map[string]string, string) {
	rng := rand.New(rand.NewPCG(1, 2))
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_<>&\"/ "
	secrets := make(map[string]string, n)
	var first string
	for i := range n {
		var b strings.Builder
		for range 8 << 10 {
			b.WriteByte(alphabet[rng.IntN(len(alphabet))])
		}
		secrets[fmt.Sprintf("S%d", i)] = b.String()
		if i == 0 {
			first = b.String()
		}
	}
	echoed := strings.NewReplacer(`"`, `\"`, "<", `\u003c`, ">", `\u003e`, "&", `\u0026`).Replace(first)
	answer := strings.Repeat("x", 20<<10) + echoed
	return secrets, answer + strings.Repeat("y", 64<<10-len(answer))
}

func BenchmarkMaskSecrets(b *testing.B) {
	for _, n := range []int{1, 4} {
		secrets, answer := bigSecrets(n)
		b.Run(fmt.Sprintf("%dSecretsOf8KiBIn64KiB", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				maskSecrets(answer, secrets)
			}
		})
	}
}

func TestMaskingLongSecretsAllocatesLittle(t *testing.T) {
	secrets, answer := bigSecrets(4)
	if got := maskSecrets(answer, secrets); !strings.Contains(got, "{{secrets.S0}}") || strings.Contains(got, secrets["S0"][:64]) {
		t.Fatalf("the echoed secret is not masked")
	}
	// Compiling a pattern built from the values took hundreds of thousands of allocations per call;
	// a search needs a handful per secret, whatever the values' length.
	if allocs := testing.AllocsPerRun(1, func() { maskSecrets(answer, secrets) }); allocs > 200 {
		t.Errorf("masking four 8 KiB secrets in a 64 KiB answer made %.0f allocations, want at most 200", allocs)
	}
}
