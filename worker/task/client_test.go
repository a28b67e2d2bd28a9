package task

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
)

func TestResponseHeadersAreCappedAt64KiB(t *testing.T) {
	t.Parallel()
	e := NewExecutor(NewHTTPClient(2, true), MailConfig{})
	for name, size := range map[string]int{"JustUnder": 60 << 10, "Over": 80 << 10} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			target, _ := echoTarget(t, func(w http.ResponseWriter, _ *http.Request, _ []byte) {
				for i := range size / 1024 {
					w.Header().Set("X-Filler-"+strconv.Itoa(i), strings.Repeat("x", 1000))
				}
			})
			_, err := runTask(t, e, "ping", `{"url": "`+target+`"}`, nil)
			if name == "JustUnder" && err != nil {
				t.Fatalf("headers of %d KiB: %v", size>>10, err)
			}
			if name == "Over" && (err == nil || !strings.Contains(err.Error(), "headers are larger than 64 KiB")) {
				t.Fatalf("headers of %d KiB: %v, want them refused", size>>10, err)
			}
		})
	}
}
