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

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/cronflow/cronflow/worker/broker"
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
	CatchUp       time.Duration
	ShutdownGrace time.Duration
	LogLevel      slog.Level
	Mail          task.MailConfig
	// AllowPrivateTargets lets jobs reach loopback and private addresses (self-hosted users ping
	// their own services); false refuses them at connect time.
	AllowPrivateTargets bool

	// AdminUser and AdminPassword are the first admin. Without a password, authentication is off
	// and the dashboard listens on loopback only, unless InsecureNoAuth says otherwise.
	AdminUser, AdminPassword string
	InsecureNoAuth           bool
	// MetricsToken, if set, is the bearer token /metrics wants.
	MetricsToken string
	// JobsPerMinute limits the jobs one user or token may create through the API each minute.
	JobsPerMinute int
	// TrustedProxies are the reverse proxies whose X-Forwarded-For and -Proto are believed.
	TrustedProxies []*net.IPNet
}

// loadConfig reads the configuration. It accepts the original project's variable names; DATABASE_URL
// and AMQP_URL win over the individual settings. Every bad value is reported, by name, at once.
// AMQP_URL and RMQ_HOST may list several nodes of one cluster, separated by commas.
func loadConfig(mode string, getenv func(string) string) (config, error) {
	r := envReader{getenv: getenv}
	var c config

	c.AdminUser = r.str("CRONFLOW_ADMIN_USER", "admin")
	c.AdminPassword = getenv("CRONFLOW_ADMIN_PASSWORD")
	if c.AdminPassword != "" && len(c.AdminPassword) < 8 {
		r.fail("CRONFLOW_ADMIN_PASSWORD", "must be at least 8 characters")
	}
	c.InsecureNoAuth = r.boolean("CRONFLOW_INSECURE_NO_AUTH", false)
	c.MetricsToken = getenv("CRONFLOW_METRICS_TOKEN")
	c.JobsPerMinute = r.integer("CRONFLOW_API_JOBS_PER_MINUTE", 60, 1, 100000)
	c.TrustedProxies = r.networks("CRONFLOW_TRUSTED_PROXIES")

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

	c.DatabaseURL = r.databaseURL()
	c.AMQPURLs = r.amqpURLs()
	c.AMQPPrefix = r.str("AMQP_PREFIX", "cronflow")

	c.Consumers = r.integer("CONSUMERS", 16, 1, 1024)
	c.CatchUp = r.duration("CATCHUP_WINDOW", time.Hour, 0, 7*24*time.Hour)
	c.ShutdownGrace = r.duration("SHUTDOWN_GRACE", 30*time.Second, 0, time.Hour)
	if err := c.LogLevel.UnmarshalText([]byte(r.str("LOG_LEVEL", "info"))); err != nil {
		r.fail("LOG_LEVEL", "must be debug, info, warn or error")
	}

	c.AllowPrivateTargets = r.boolean("CRONFLOW_ALLOW_PRIVATE_TARGETS", true)

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

// loopback reports whether host is a loopback address or name.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// envReader reads typed values and collects one error per bad variable.
type envReader struct {
	getenv func(string) string
	errs   []error
}

func (r *envReader) fail(name, problem string) {
	r.errs = append(r.errs, fmt.Errorf("%s %s", name, problem))
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

// networks reads a comma-separated list of addresses and CIDR ranges.
func (r *envReader) networks(name string) []*net.IPNet {
	var nets []*net.IPNet
	for _, part := range strings.Split(r.getenv(name), ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if !strings.Contains(part, "/") {
			if ip := net.ParseIP(part); ip != nil && ip.To4() != nil {
				part += "/32"
			} else {
				part += "/128"
			}
		}
		_, n, err := net.ParseCIDR(part)
		if err != nil {
			r.fail(name, fmt.Sprintf("must list addresses or CIDR ranges, such as 10.0.0.0/8; %q is neither", part))
			continue
		}
		nets = append(nets, n)
	}
	return nets
}

// databaseURL is DATABASE_URL, checked, or the URL the PG_* variables make.
func (r *envReader) databaseURL() string {
	if s := r.getenv("DATABASE_URL"); s != "" {
		if err := checkDatabaseURL(s); err != nil {
			r.fail("DATABASE_URL", err.Error())
		}
		return s
	}
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(r.str("PG_USER", "postgres"), r.getenv("PG_PASSWORD")),
		Host:     net.JoinHostPort(r.str("PG_HOST", "127.0.0.1"), strconv.Itoa(r.port("PG_PORT", 5432))),
		Path:     "/" + r.str("PG_DBNAME", "postgres"),
		RawQuery: "sslmode=disable",
	}
	if r.getenv("PG_PASSWORD") == "" {
		u.User = url.User(r.str("PG_USER", "postgres"))
	}
	return u.String()
}

// amqpURLs are the broker nodes: AMQP_URL's list, or one URL per RMQ_HOST node with the other
// RMQ_* variables.
func (r *envReader) amqpURLs() []string {
	if strings.TrimSpace(r.getenv("AMQP_URL")) != "" {
		urls, problems := broker.ParseNodes(r.getenv("AMQP_URL"))
		for _, p := range problems {
			r.fail("AMQP_URL", p)
		}
		return urls
	}
	var urls []string
	vhost := r.str("RMQ_VHOST", "/")
	for _, hp := range r.hostPorts("RMQ_HOST", "127.0.0.1", r.port("RMQ_PORT", 5672)) {
		u := url.URL{Scheme: "amqp", User: url.UserPassword(r.str("RMQ_USER", "guest"), r.str("RMQ_PASSWORD", "guest")),
			Host: hp, Path: "/" + vhost, RawPath: "/" + url.PathEscape(vhost)}
		if vhost == "/" {
			u.Path, u.RawPath = "/", ""
		}
		urls = append(urls, u.String())
	}
	return urls
}

// checkDatabaseURL checks a postgres:// URL as pgx reads it. With several hosts it must say
// target_session_attrs=read-write (or primary): otherwise pgx takes whichever host answers first,
// a read-only standby included.
func checkDatabaseURL(s string) error {
	if !strings.HasPrefix(s, "postgres://") && !strings.HasPrefix(s, "postgresql://") {
		return errors.New("must be a postgres:// URL")
	}
	pc, err := pgconn.ParseConfig(s)
	if err != nil {
		return fmt.Errorf("is not a URL PostgreSQL's driver can use: %w", err)
	}
	hosts := map[string]bool{net.JoinHostPort(pc.Host, strconv.Itoa(int(pc.Port))): true}
	for _, f := range pc.Fallbacks {
		hosts[net.JoinHostPort(f.Host, strconv.Itoa(int(f.Port)))] = true
	}
	_, query, _ := strings.Cut(s, "?")
	params, _ := url.ParseQuery(query)
	if attrs := params.Get("target_session_attrs"); len(hosts) > 1 && attrs != "read-write" && attrs != "primary" {
		return fmt.Errorf("names %d hosts but not target_session_attrs=read-write, so a read-only standby could be "+
			"chosen; add ?target_session_attrs=read-write", len(hosts))
	}
	return nil
}

// hostPorts reads a comma-separated list of host or host:port ([v6]:port), the port defaulting to
// port, and returns them as host:port.
func (r *envReader) hostPorts(name, def string, port int) []string {
	var out []string
	for _, part := range strings.Split(r.str(name, def), ",") {
		part = strings.TrimSpace(part)
		host, p, err := net.SplitHostPort(part)
		if err != nil {
			host, p = strings.Trim(part, "[]"), strconv.Itoa(port)
		}
		n, perr := strconv.Atoi(p)
		if host == "" || strings.ContainsAny(host, "/@? ") || perr != nil || n < 1 || n > 65535 {
			r.fail(name, fmt.Sprintf("must list host or host:port separated by commas; %q is neither", part))
			continue
		}
		out = append(out, net.JoinHostPort(host, p))
	}
	return out
}

func (r *envReader) port(name string, def int) int {
	return r.integer(name, def, 1, 65535)
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
