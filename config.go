package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/cronflow/cronflow/handlers"
	"github.com/cronflow/cronflow/worker"
	"github.com/cronflow/cronflow/worker/secret"
	"github.com/cronflow/cronflow/worker/task"
)

// defaultPrefetch is PREFETCH unless set: enough deliveries in hand for the thousands of runs a
// second a process gets through, whatever its pool (CONSUMERS is at most as many).
const defaultPrefetch = 1024

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
	// SSO is single sign-on and the second-factor policy (issue 24).
	SSO ssoConfig
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
	if listens(mode) && c.AdminPassword == "" && !c.InsecureNoAuth {
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
	c.SSO = r.sso(c.PublicURL, c.AdminPassword)

	c.DatabaseURL = r.databaseURL()
	c.AMQPURLs = r.amqpURLs()
	c.AMQPPrefix = r.str("AMQP_PREFIX", "cronflow")

	c.Consumers = r.integer("CONSUMERS", 256, 1, 1024)
	// Deliveries wait for their claim, their due instant and their result's commit without an
	// execution slot (worker/slots.go), so a process needs many more in hand than it executes at
	// once to keep its slots busy.
	c.Prefetch = r.integer("PREFETCH", defaultPrefetch, 1, 65535)
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
