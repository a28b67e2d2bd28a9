package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cronflow/cronflow/handlers"
	"github.com/cronflow/cronflow/queries"
	"github.com/cronflow/cronflow/worker"
	"github.com/cronflow/cronflow/worker/broker"
	"github.com/cronflow/cronflow/worker/secret"
	"github.com/cronflow/cronflow/worker/task"
)

// config is everything Cronflow reads from its environment, validated before anything starts.
type config struct {
	HTTPAddr    string
	DatabaseURL string
	// AMQPURLs are the nodes of one RabbitMQ cluster (often just one node).
	AMQPURLs      []string
	AMQPPrefix    string
	Consumers     int
	Prefetch      int
	CatchUp       time.Duration
	ShutdownGrace time.Duration
	LogLevel      slog.Level
	Mail          task.MailConfig
	// Targets say where jobs and channels may connect: public addresses only unless
	// CRONFLOW_ALLOW_PRIVATE_TARGETS or CRONFLOW_ALLOWED_TARGETS say otherwise.
	Targets task.TargetRules

	// AdminUser and AdminPassword are the first admin. Without a password, authentication is off
	// and the dashboard listens on loopback only, unless InsecureNoAuth says otherwise.
	AdminUser, AdminPassword string
	InsecureNoAuth           bool
	// MetricsToken, if set, is the bearer token /metrics wants.
	MetricsToken string
	// JobsPerMinute limits the jobs one user or token may create each minute (API and dashboard).
	JobsPerMinute int
	// RunNowPerMinute limits the runs one user or token may start by hand each minute.
	RunNowPerMinute int
	// TrustedProxies are the reverse proxies whose X-Forwarded-For and -Proto are believed.
	TrustedProxies []*net.IPNet
	// SecretKey seals secrets (nil: secrets are off); PreviousSecretKey, after a rotation, opens
	// the values still sealed with the key before, which startup seals again with SecretKey.
	SecretKey, PreviousSecretKey []byte
	// PublicURL is where people reach the dashboard, the base of the links in alerts.
	PublicURL string
	// SessionIdle and SessionLifetime end dashboard sessions: unused for that long, or that long
	// after their login.
	SessionIdle, SessionLifetime time.Duration
	// HTTP bounds what clients can hold of the HTTP server: timeouts, header size, connections.
	HTTP handlers.ServerLimits
	// Retention says how long finished runs are kept.
	Retention worker.RetentionConfig
}

// loadConfig reads the configuration. It accepts the original project's variable names; DATABASE_URL
// and AMQP_URL win over the individual settings; AMQP_URL and RMQ_HOST may list several nodes of
// one cluster. Every bad value is reported, by name, at once. It is long on purpose: one flat
// list, where every variable is read, checked and given its default.
func loadConfig(mode string, getenv func(string) string) (config, error) {
	r := envReader{getenv: getenv}
	var c config

	c.AdminUser = r.str("CRONFLOW_ADMIN_USER", "admin")
	c.AdminPassword = getenv("CRONFLOW_ADMIN_PASSWORD")
	if c.AdminPassword != "" && (len(c.AdminPassword) < 8 || len(c.AdminPassword) > 72) {
		// bcrypt reads 72 bytes at most: a longer password would be cut without a word.
		r.fail("CRONFLOW_ADMIN_PASSWORD", "must be 8 to 72 bytes long")
	}
	c.InsecureNoAuth = r.boolean("CRONFLOW_INSECURE_NO_AUTH", false)
	c.MetricsToken = getenv("CRONFLOW_METRICS_TOKEN")
	c.JobsPerMinute = r.integer("CRONFLOW_API_JOBS_PER_MINUTE", 60, 1, 100000)
	c.RunNowPerMinute = r.integer("CRONFLOW_RUN_NOW_PER_MINUTE", 60, 1, 100000)
	var proxyProblems []string
	c.TrustedProxies, proxyProblems = handlers.ParseNetworks(getenv("CRONFLOW_TRUSTED_PROXIES"))
	r.failAll("CRONFLOW_TRUSTED_PROXIES", proxyProblems)
	c.SessionIdle = r.duration("CRONFLOW_SESSION_IDLE_TIMEOUT", 12*time.Hour, 5*time.Minute, 90*24*time.Hour)
	c.SessionLifetime = r.duration("CRONFLOW_SESSION_LIFETIME", 7*24*time.Hour, 5*time.Minute, 365*24*time.Hour)
	c.HTTP = r.serverLimits()
	c.HTTP.SharedClients = c.TrustedProxies

	host := r.str("DASHBOARD_HOST", "0.0.0.0")
	if mode == "serve" && c.AdminPassword == "" && !c.InsecureNoAuth {
		if strings.TrimSpace(getenv("DASHBOARD_HOST")) == "" {
			host = "127.0.0.1"
		} else if !loopback(host) {
			r.fail("DASHBOARD_HOST", fmt.Sprintf("is %s, but without CRONFLOW_ADMIN_PASSWORD Cronflow listens on loopback only; "+
				"set a password, or CRONFLOW_INSECURE_NO_AUTH=true to expose it without one", host))
		}
	}
	port := r.port("DASHBOARD_PORT", 8000)
	c.HTTPAddr = net.JoinHostPort(host, strconv.Itoa(port))
	c.PublicURL = r.publicURL("CRONFLOW_PUBLIC_URL", "http://localhost:"+strconv.Itoa(port))

	c.DatabaseURL = r.databaseURL()
	c.AMQPURLs = r.amqpURLs()
	c.AMQPPrefix = r.str("AMQP_PREFIX", "cronflow")

	c.Consumers = r.integer("CONSUMERS", 256, 1, 1024)
	c.Prefetch = r.integer("PREFETCH", c.Consumers, 1, 65535)
	c.CatchUp = r.duration("CATCHUP_WINDOW", time.Hour, 0, 7*24*time.Hour)
	c.ShutdownGrace = r.duration("SHUTDOWN_GRACE", 30*time.Second, 0, time.Hour)
	if err := c.LogLevel.UnmarshalText([]byte(r.str("LOG_LEVEL", "info"))); err != nil {
		r.fail("LOG_LEVEL", "must be debug, info, warn or error")
	}

	c.Targets.AllowPrivate = r.boolean("CRONFLOW_ALLOW_PRIVATE_TARGETS", false)
	var targetProblems []string
	c.Targets.Allowed, targetProblems = task.ParseAllowedTargets(getenv("CRONFLOW_ALLOWED_TARGETS"))
	r.failAll("CRONFLOW_ALLOWED_TARGETS", targetProblems)
	var err error
	if c.SecretKey, c.PreviousSecretKey, err = secret.ReadKeys(getenv); err != nil {
		r.errs = append(r.errs, err)
	}

	c.Retention = r.retention()

	c.Mail = task.MailConfig{
		Host:     getenv("SMTP_HOST"),
		Port:     r.port("SMTP_PORT", 587),
		Username: getenv("SMTP_USERNAME"),
		Password: getenv("SMTP_PASSWORD"),
		From:     r.str("SMTP_FROM", "cronflow@localhost"),
		TLS:      r.str("SMTP_TLS", "starttls"),
	}
	if c.Mail.Password == "" {
		c.Mail.Password = getenv("MAIL_PASS")
	}
	// Issue 22: a private CA for SMTP only, and an explicit way to skip verification.
	c.Mail.SkipVerify = r.boolean("SMTP_TLS_SKIP_VERIFY", false)
	if file := getenv("SMTP_CA_FILE"); file != "" {
		pool, problem := task.ReadCAFile(file)
		if problem != "" {
			r.fail("SMTP_CA_FILE", problem)
		}
		c.Mail.RootCAs = pool
	}
	switch c.Mail.TLS {
	case "none", "starttls", "tls":
	default:
		r.fail("SMTP_TLS", "must be none, starttls or tls")
	}
	if strings.ContainsAny(c.Mail.From, "\r\n") || !strings.Contains(c.Mail.From, "@") {
		r.fail("SMTP_FROM", "must be an email address")
	}
	return c, errors.Join(r.errs...)
}

// serverLimits reads the HTTP server's limits. No timeout may be longer than a minute: the
// dashboard has no long polls, and a longer one only helps a client that holds connections open.
func (r *envReader) serverLimits() handlers.ServerLimits {
	return handlers.ServerLimits{
		ReadHeaderTimeout: r.duration("CRONFLOW_HTTP_READ_HEADER_TIMEOUT", 10*time.Second, time.Second, time.Minute),
		ReadTimeout:       r.duration("CRONFLOW_HTTP_READ_TIMEOUT", 30*time.Second, time.Second, time.Minute),
		WriteTimeout:      r.duration("CRONFLOW_HTTP_WRITE_TIMEOUT", time.Minute, time.Second, time.Minute),
		IdleTimeout:       r.duration("CRONFLOW_HTTP_IDLE_TIMEOUT", time.Minute, time.Second, time.Minute),
		MaxHeaderBytes:    r.integer("CRONFLOW_HTTP_MAX_HEADER_BYTES", 64<<10, 4<<10, 1<<20),
		MaxConns:          r.integer("CRONFLOW_HTTP_MAX_CONNECTIONS", 1000, 10, 100000),
		MaxConnsPerClient: r.integer("CRONFLOW_HTTP_MAX_CONNECTIONS_PER_CLIENT", 100, 0, 100000),
	}
}

// loopback reports whether host is a loopback address or name.
func loopback(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || ip != nil && ip.IsLoopback()
}

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
