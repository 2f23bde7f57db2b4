// Package config defines Petrel's configuration: the TOML file format,
// its defaults and its validation. petrel.example.toml at the top of the
// repository documents every key.
package config

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Config is the whole configuration. Every field has a TOML key; Default
// gives the value of keys the file leaves out.
type Config struct {
	// DataDir holds the database, the message files and a generated TLS
	// certificate. A relative path is relative to the working directory.
	DataDir  string   `toml:"data_dir"`
	Listen   Listen   `toml:"listen"`
	TLS      TLS      `toml:"tls"`
	Limits   Limits   `toml:"limits"`
	Timeouts Timeouts `toml:"timeouts"`
	Log      Log      `toml:"log"`
	Auth     Auth     `toml:"auth"`
	LMTP     LMTP     `toml:"lmtp"`
	Quota    Quota    `toml:"quota"`
}

// Quota is the default quota of users without one of their own (set
// with "petrel user quota"), RFC 9208. Zero means no limit.
type Quota struct {
	Storage  Size  `toml:"storage"`  // sum of message sizes
	Messages int64 `toml:"messages"` // number of messages
}

// Listen holds the listening addresses, as host:port; an empty string
// disables that listener.
type Listen struct {
	IMAP  string `toml:"imap"`  // cleartext with STARTTLS (RFC 9051 §6.2.1)
	IMAPS string `toml:"imaps"` // implicit TLS (RFC 8314 §3.3)
	// LMTP is the local delivery listener (RFC 2033): host:port, or a
	// unix socket path that starts with "/" or "unix:".
	LMTP string `toml:"lmtp"`
}

// LMTPUnixPath returns the socket path of a unix-socket LMTP address, and
// whether addr is one.
func LMTPUnixPath(addr string) (string, bool) {
	if p, ok := strings.CutPrefix(addr, "unix:"); ok {
		return p, true
	}
	return addr, strings.HasPrefix(addr, "/")
}

// LMTP configures local delivery over LMTP (see internal/lmtp).
type LMTP struct {
	// Domains are the domains whose addresses are local; empty accepts
	// any domain for the local part of an existing user.
	Domains []string `toml:"domains"`
	// DetailDelimiter separates user and detail ("alice+lists"); the
	// detail names a mailbox to deliver to. "" disables details.
	DetailDelimiter string `toml:"detail_delimiter"`
	// CatchAll is the user that receives mail for unknown addresses in
	// the local domains; "" (the default) turns catch-all off.
	CatchAll string `toml:"catch_all"`
	// QuotaTempFail answers over-quota recipients 452 4.2.2 instead of
	// 552 5.2.2, so the MTA keeps the message and retries.
	QuotaTempFail bool `toml:"quota_tempfail"`
	// MaxRecipients caps RCPT commands per transaction.
	MaxRecipients int `toml:"max_recipients"`
	// MaxConnections caps concurrent LMTP connections.
	MaxConnections int `toml:"max_connections"`
	// Timeout bounds the wait for each command, and for the whole of
	// DATA, from the client, and each store operation.
	Timeout Duration `toml:"timeout"`
}

// TLS locates the server certificate. When Cert and Key are both empty, a
// self-signed certificate for localhost and Hosts is generated in the
// data directory and reused.
type TLS struct {
	Cert  string   `toml:"cert"`
	Key   string   `toml:"key"`
	Hosts []string `toml:"hosts"` // extra names/addresses of a generated certificate
}

// Limits bound what clients may use.
type Limits struct {
	AppendLimit      Size `toml:"append_limit"`           // largest message APPEND accepts (RFC 7889)
	MaxLine          Size `toml:"max_line"`               // longest command line, literals excluded
	MaxConnectionsIP int  `toml:"max_connections_per_ip"` // concurrent connections from one address
	MaxConnections   int  `toml:"max_connections"`        // concurrent connections in total
}

// Timeouts bound idle connections.
type Timeouts struct {
	// Auth is how long a connection may stay unauthenticated.
	Auth Duration `toml:"auth"`
	// Idle is the autologout timer after login, also while in IDLE. RFC
	// 9051 §5.4: it MUST be at least 30 minutes.
	Idle Duration `toml:"idle"`
}

// Log configures the log written to standard error.
type Log struct {
	Level  string `toml:"level"`  // debug, info, warn or error
	Format string `toml:"format"` // text or json
}

// Auth tunes password checking (see internal/auth).
type Auth struct {
	FailureDelay    Duration `toml:"failure_delay"`     // delay after a first failed login; 0 disables delays
	MaxFailureDelay Duration `toml:"max_failure_delay"` // cap of the doubling delay
	CacheTTL        Duration `toml:"cache_ttl"`         // how long a successful login skips argon2; 0 disables
	CacheSize       int      `toml:"cache_size"`        // number of remembered logins
	// InsecurePlaintext allows LOGIN and AUTHENTICATE PLAIN on cleartext
	// connections from non-loopback addresses (RFC 9051 §11.1 advises
	// against it). Loopback clients may always log in.
	InsecurePlaintext bool `toml:"insecure_plaintext"`
}

// MinIdle is the shortest allowed Timeouts.Idle (RFC 9051 §5.4).
const MinIdle = 30 * time.Minute

// Default returns the configuration used for keys a file leaves out.
func Default() Config {
	return Config{
		DataDir: "./petrel-data",
		Listen:  Listen{IMAP: "127.0.0.1:1143", IMAPS: "127.0.0.1:1993", LMTP: "127.0.0.1:2424"},
		Limits: Limits{
			AppendLimit:      64 << 20,
			MaxLine:          64 << 10,
			MaxConnectionsIP: 50,
			MaxConnections:   1000,
		},
		Timeouts: Timeouts{
			Auth: Duration{60 * time.Second},
			Idle: Duration{MinIdle},
		},
		Log: Log{Level: "info", Format: "text"},
		Auth: Auth{
			FailureDelay:    Duration{500 * time.Millisecond},
			MaxFailureDelay: Duration{15 * time.Second},
			CacheTTL:        Duration{time.Hour},
			CacheSize:       10000,
		},
		LMTP: LMTP{
			DetailDelimiter: "+",
			MaxRecipients:   100,
			MaxConnections:  100,
			Timeout:         Duration{5 * time.Minute},
		},
	}
}

// maxFile bounds the size of a configuration file.
const maxFile = 1 << 20

// Load reads the file at path over Default and validates the result.
// Unknown keys are an error that names them.
func Load(path string) (Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFile+1))
	if err != nil {
		return Config{}, fmt.Errorf("config: read %s: %w", path, err)
	}
	if len(data) > maxFile {
		return Config{}, fmt.Errorf("config %s: larger than %d bytes", path, maxFile)
	}
	c := Default()
	md, err := toml.Decode(string(data), &c)
	if err != nil {
		return Config{}, fmt.Errorf("config %s: %w", path, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		return Config{}, fmt.Errorf("config %s: unknown keys: %s", path, strings.Join(keys, ", "))
	}
	if len(c.TLS.Hosts) == 0 {
		c.TLS.Hosts = nil // "hosts = []" is the default
	}
	if len(c.LMTP.Domains) == 0 {
		c.LMTP.Domains = nil // "domains = []" is the default
	}
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

// Validate checks every setting and returns all problems found, in one
// line separated by "; ".
func (c *Config) Validate() error {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if c.DataDir == "" {
		bad("data_dir is empty")
	}
	for _, l := range []struct{ key, addr string }{{"listen.imap", c.Listen.IMAP}, {"listen.imaps", c.Listen.IMAPS}} {
		if l.addr == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(l.addr); err != nil {
			bad("%s: %v", l.key, err)
		}
	}
	if p, unix := LMTPUnixPath(c.Listen.LMTP); unix {
		if p == "" || len(p) > 104 {
			bad("listen.lmtp: unix socket path %q is empty or longer than 104 bytes", p)
		}
	} else if c.Listen.LMTP != "" {
		if _, _, err := net.SplitHostPort(c.Listen.LMTP); err != nil {
			bad("listen.lmtp: %v", err)
		}
	}
	if c.Quota.Storage < 0 || c.Quota.Messages < 0 {
		bad("quota limits cannot be negative")
	}
	if len(c.LMTP.Domains) > 1000 {
		bad("lmtp.domains has more than 1000 entries")
	}
	for _, d := range c.LMTP.Domains {
		if d == "" || len(d) > 253 || strings.ContainsAny(d, " @/:*") {
			bad("lmtp.domains: invalid domain %q", d)
		}
	}
	if len(c.LMTP.DetailDelimiter) > 1 || c.LMTP.DetailDelimiter == "@" {
		bad("lmtp.detail_delimiter %q must be one character other than @, or empty", c.LMTP.DetailDelimiter)
	}
	if c.LMTP.MaxRecipients < 1 || c.LMTP.MaxRecipients > 10000 {
		bad("lmtp.max_recipients %d is outside 1..10000", c.LMTP.MaxRecipients)
	}
	if c.LMTP.MaxConnections < 1 {
		bad("lmtp.max_connections must be at least 1")
	}
	if c.LMTP.Timeout.Duration < time.Second {
		bad("lmtp.timeout %v is below 1s", c.LMTP.Timeout)
	}
	if c.Listen.IMAP == "" && c.Listen.IMAPS == "" {
		bad("listen: both imap and imaps are disabled")
	}
	if (c.TLS.Cert == "") != (c.TLS.Key == "") {
		bad("tls: cert and key must be set together")
	}
	if len(c.TLS.Hosts) > 100 {
		bad("tls.hosts has more than 100 entries")
	}
	for _, h := range c.TLS.Hosts {
		if h == "" || len(h) > 253 || strings.ContainsAny(h, " /:*") && net.ParseIP(h) == nil {
			bad("tls.hosts: invalid host %q", h)
		}
	}
	if c.Limits.AppendLimit < 1024 {
		bad("limits.append_limit %v is below 1K", c.Limits.AppendLimit)
	}
	if c.Limits.MaxLine < 1024 || c.Limits.MaxLine > 64<<20 {
		bad("limits.max_line %v is outside 1K..64M", c.Limits.MaxLine)
	}
	if c.Limits.MaxConnectionsIP < 1 {
		bad("limits.max_connections_per_ip must be at least 1")
	}
	if c.Limits.MaxConnections < c.Limits.MaxConnectionsIP {
		bad("limits.max_connections %d is below max_connections_per_ip %d", c.Limits.MaxConnections, c.Limits.MaxConnectionsIP)
	}
	if c.Timeouts.Auth.Duration < time.Second {
		bad("timeouts.auth %v is below 1s", c.Timeouts.Auth)
	}
	if c.Timeouts.Idle.Duration < MinIdle {
		bad("timeouts.idle %v is below %v (RFC 9051 §5.4)", c.Timeouts.Idle, MinIdle)
	}
	if _, err := c.Log.SlogLevel(); err != nil {
		bad("log.level: %v", err)
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		bad("log.format %q is not text or json", c.Log.Format)
	}
	if c.Auth.FailureDelay.Duration < 0 || c.Auth.MaxFailureDelay.Duration < c.Auth.FailureDelay.Duration {
		bad("auth: need 0 <= failure_delay <= max_failure_delay")
	}
	if c.Auth.MaxFailureDelay.Duration > 10*time.Minute {
		bad("auth.max_failure_delay %v is above 10m", c.Auth.MaxFailureDelay)
	}
	if c.Auth.CacheTTL.Duration < 0 {
		bad("auth.cache_ttl is negative")
	}
	if c.Auth.CacheSize < 0 || c.Auth.CacheSize > 10_000_000 {
		bad("auth.cache_size %d is outside 0..10000000", c.Auth.CacheSize)
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

// SlogLevel returns the slog level named by l.Level.
func (l Log) SlogLevel() (slog.Level, error) {
	var lv slog.Level
	switch strings.ToLower(l.Level) {
	case "debug":
		lv = slog.LevelDebug
	case "info":
		lv = slog.LevelInfo
	case "warn", "warning":
		lv = slog.LevelWarn
	case "error":
		lv = slog.LevelError
	default:
		return 0, fmt.Errorf("unknown level %q (want debug, info, warn or error)", l.Level)
	}
	return lv, nil
}
