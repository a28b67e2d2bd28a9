package broker

import (
	"testing"
	"time"
)

func TestRetryDelaysAreFewAndRoundUp(t *testing.T) {
	t.Parallel()
	if len(RetryDelays) > 40 {
		t.Errorf("%d retry queues", len(RetryDelays))
	}
	for i := 1; i < len(RetryDelays); i++ {
		if prev, d := RetryDelays[i-1], RetryDelays[i]; d <= prev || float64(d) > 2*float64(prev) {
			t.Errorf("step %s after %s", d, prev)
		}
	}
	for in, want := range map[time.Duration]time.Duration{
		800 * time.Millisecond: time.Second, 2 * time.Second: 2 * time.Second, 2001 * time.Millisecond: 3 * time.Second,
		7 * time.Second: 8 * time.Second, 61 * time.Second: 90 * time.Second, 59 * time.Minute: time.Hour, 3 * time.Hour: time.Hour,
	} {
		if got := RetryDelayAtLeast(in); got != want {
			t.Errorf("RetryDelayAtLeast(%s) = %s, want %s", in, got, want)
		}
	}
}
