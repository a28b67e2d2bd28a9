package handlers

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cronflow/cronflow/queries/dbtest"
	"github.com/cronflow/cronflow/sqlcgen"
)

// BenchmarkHealthzDuringALoginFlood measures /healthz while 500 clients keep sending logins with
// wrong passwords, each from another address (through a trusted proxy) for another name, so that
// only the bound on password checks in flight stands between them and bcrypt. It reports the
// median and p99 of /healthz and the share of logins refused with 429:
//
//	go test ./handlers/ -run '^$' -bench LoginFlood -benchtime 200x
func BenchmarkHealthzDuringALoginFlood(b *testing.B) {
	_, loopback, _ := net.ParseCIDR("127.0.0.0/8")
	srv := httptest.NewServer(NewServer(Deps{
		Queries: sqlcgen.New(dbtest.NewPool(b)), Publisher: &recordingPublisher{}, Auth: AuthConfig{Enabled: true},
		TrustedProxies: []*net.IPNet{loopback}, ReadyFunc: func(context.Context) map[string]string { return nil },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}))
	defer srv.Close()
	ctx, stop := context.WithCancel(context.Background())
	flooder := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 500}}
	var wg sync.WaitGroup
	var refused, answered atomic.Int64
	for i := range 500 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ctx.Err() == nil; n++ {
				form := url.Values{"username": {fmt.Sprintf("guess%d-%d", i, n)}, "password": {"wrong"}}.Encode()
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/login", strings.NewReader(form))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Sec-Fetch-Site", "same-origin")
				req.Header.Set("X-Forwarded-For", fmt.Sprintf("10.%d.%d.%d", i/250, i%250, n%250+1))
				resp, err := flooder.Do(req)
				if err != nil {
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				answered.Add(1)
				if resp.StatusCode == http.StatusTooManyRequests {
					refused.Add(1)
				}
			}
		}()
	}
	for answered.Load() < 500 { // the flood is on once every client has had an answer
		time.Sleep(10 * time.Millisecond)
	}
	probe := &http.Client{Timeout: 30 * time.Second}
	var took []time.Duration
	for b.Loop() {
		began := time.Now()
		resp, err := probe.Get(srv.URL + "/healthz")
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		took = append(took, time.Since(began))
	}
	stop()
	wg.Wait()
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "healthz_p50_ms")
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "healthz_p99_ms")
	if n := answered.Load(); n > 0 {
		b.ReportMetric(100*float64(refused.Load())/float64(n), "%logins_refused")
	}
}
