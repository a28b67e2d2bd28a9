package main

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cronflow/cronflow/queries"
	"github.com/cronflow/cronflow/worker"
	"github.com/cronflow/cronflow/worker/broker"
)

// envReader reads typed values and collects one error per bad variable.
type envReader struct {
	getenv func(string) string
	errs   []error
}

func (r *envReader) fail(name, problem string) {
	r.errs = append(r.errs, fmt.Errorf("%s %s", name, problem))
}

func (r *envReader) failAll(name string, problems []string) {
	for _, p := range problems {
		r.fail(name, p)
	}
}

func (r *envReader) str(name, def string) string {
	if v := strings.TrimSpace(r.getenv(name)); v != "" {
		return v
	}
	return def
}

func (r *envReader) integer(name string, def, lo, hi int) int {
	v := strings.TrimSpace(r.getenv(name))
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		r.fail(name, fmt.Sprintf("must be a whole number from %d to %d, got %q", lo, hi, v))
		return def
	}
	return n
}

func (r *envReader) boolean(name string, def bool) bool {
	v := strings.TrimSpace(r.getenv(name))
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.fail(name, fmt.Sprintf("must be true or false, got %q", v))
		return def
	}
	return b
}

// databaseURL is DATABASE_URL, checked, or the URL the PG_* variables make.
func (r *envReader) databaseURL() string {
	if s := r.getenv("DATABASE_URL"); s != "" {
		if err := queries.CheckURL(s); err != nil {
			r.fail("DATABASE_URL", err.Error())
		}
		return s
	}
	return queries.URL(r.str("PG_HOST", "127.0.0.1"), r.port("PG_PORT", 5432), r.str("PG_USER", "postgres"),
		r.getenv("PG_PASSWORD"), r.str("PG_DBNAME", "postgres"))
}

// amqpURLs are the broker nodes: AMQP_URL's list, or one URL per RMQ_HOST node with the other
// RMQ_* variables.
func (r *envReader) amqpURLs() []string {
	name, urls, problems := "AMQP_URL", []string(nil), []string(nil)
	if list := r.getenv("AMQP_URL"); strings.TrimSpace(list) != "" {
		urls, problems = broker.ParseNodes(list)
	} else {
		name = "RMQ_HOST"
		urls, problems = broker.NodeURLs(r.str("RMQ_HOST", "127.0.0.1"), r.port("RMQ_PORT", 5672),
			r.str("RMQ_USER", "guest"), r.str("RMQ_PASSWORD", "guest"), r.str("RMQ_VHOST", "/"))
	}
	r.failAll(name, problems)
	return urls
}

func (r *envReader) port(name string, def int) int {
	return r.integer(name, def, 1, 65535)
}

// retention reads how long finished runs are kept.
func (r *envReader) retention() worker.RetentionConfig {
	const day = 24 * time.Hour
	return worker.RetentionConfig{
		Completed:  r.age("RETENTION_COMPLETED", 30*day, 100*365*day),
		Failed:     r.age("RETENTION_FAILED", 90*day, 100*365*day),
		KeepPerJob: r.integer("RETENTION_KEEP_PER_JOB", 20, 0, 100000),
		Interval:   r.age("RETENTION_INTERVAL", time.Minute, day),
	}
}

// age reads a retention duration (see worker.ParseAge), at most hi.
func (r *envReader) age(name string, def, hi time.Duration) time.Duration {
	v := strings.TrimSpace(r.getenv(name))
	if v == "" {
		return def
	}
	d, err := worker.ParseAge(v, hi)
	if err != nil {
		r.fail(name, err.Error())
		return def
	}
	return d
}

func (r *envReader) duration(name string, def, lo, hi time.Duration) time.Duration {
	v := strings.TrimSpace(r.getenv(name))
	if v == "" {
		return def
	}
	if v == "0" {
		v = "0s"
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < lo || d > hi {
		r.fail(name, fmt.Sprintf("must be a duration such as 30s or 1h, from %s to %s, got %q", lo, hi, v))
		return def
	}
	return d
}

// publicURL reads an absolute http or https URL without query or fragment; a trailing slash is
// dropped, so that paths can be appended.
func (r *envReader) publicURL(name, def string) string {
	v := strings.TrimSpace(r.getenv(name))
	if v == "" {
		return def
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		r.fail(name, fmt.Sprintf("must be an absolute http or https URL such as https://cron.example.com, got %q", v))
		return def
	}
	return strings.TrimRight(v, "/")
}
