package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"

	"petrel.dev/petrel/internal/auth"
	"petrel.dev/petrel/internal/certs"
	"petrel.dev/petrel/internal/config"
	"petrel.dev/petrel/internal/imapserver"
	"petrel.dev/petrel/internal/lmtp"
	"petrel.dev/petrel/internal/store"
	"petrel.dev/petrel/internal/store/sqlitestore"
	"petrel.dev/petrel/internal/wire"
)

// shutdownTimeout bounds the wait for sessions to end on SIGINT/SIGTERM.
const shutdownTimeout = 10 * time.Second

// certPollInterval is how often the certificate files are checked for
// changes.
const certPollInterval = certs.DefaultPollInterval

// firstUser is created, with a printed random password, when a server
// starts on a data directory without users.
const firstUser = "petrel"

func cmdServe(ctx context.Context, e env, args []string) error {
	cfg, err := serveConfig(e, args)
	if err != nil {
		return err
	}
	level, _ := cfg.Log.SlogLevel() // checked by Validate
	log := newLogger(e.stderr, level, cfg.Log.Format)
	defer tuneGC(gcFloor)()

	// The store is opened before the server exists; changes committed in
	// between have no session to notify.
	var srvRef atomic.Pointer[imapserver.Server]
	st, err := sqlitestore.Open(cfg.DataDir, store.Options{
		DefaultQuota: storeQuota(cfg.Quota),
		OnChange: func(c store.Change) {
			if s := srvRef.Load(); s != nil {
				s.OnChange(c)
			}
		},
		MaxMessageSize: int64(cfg.Limits.AppendLimit),
	})
	if err != nil {
		return err
	}
	defer st.Close()
	if err := ensureFirstUser(ctx, e, st); err != nil {
		return err
	}

	tlsCerts, err := serverCerts(cfg, log)
	if err != nil {
		return err
	}
	// The certificate is reloaded on SIGHUP and when its files change;
	// established connections keep theirs.
	reloadCtx, stopReload := context.WithCancel(ctx)
	defer stopReload()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go reloadCerts(reloadCtx, tlsCerts, hup, log)
	go tlsCerts.Watch(reloadCtx, certPollInterval)
	limits := wire.DefaultLimits()
	limits.MaxAppend = int64(cfg.Limits.AppendLimit)
	limits.MaxLine = int(cfg.Limits.MaxLine)
	srv := imapserver.New(imapserver.Options{
		Store:         st,
		Auth:          auth.New(passwordLookup(st), authOptions(cfg.Auth, log)),
		TLS:           tlsCerts.TLSConfig(),
		Logger:        log,
		Limits:        limits,
		AuthTimeout:   cfg.Timeouts.Auth.Duration,
		IdleTimeout:   cfg.Timeouts.Idle.Duration,
		MaxConnsPerIP: cfg.Limits.MaxConnectionsIP,
		MaxConns:      cfg.Limits.MaxConnections,
		InsecureAuth:  cfg.Auth.InsecurePlaintext,
	})
	srvRef.Store(srv)

	spoolDir := filepath.Join(cfg.DataDir, "spool")
	if err := os.MkdirAll(spoolDir, 0o700); err != nil {
		return err
	}
	lsrv := lmtp.New(lmtp.Options{
		Store:           st,
		Logger:          log,
		Domains:         cfg.LMTP.Domains,
		DetailDelimiter: cfg.LMTP.DetailDelimiter,
		MaxMessageSize:  max(int64(cfg.Limits.AppendLimit)-lmtp.HeaderRoom, 1),
		MaxRecipients:   cfg.LMTP.MaxRecipients,
		MaxConns:        cfg.LMTP.MaxConnections,
		Timeout:         cfg.LMTP.Timeout.Duration,
		TempDir:         spoolDir,
		QuotaTempFail:   cfg.LMTP.QuotaTempFail,
		CatchAll:        cfg.LMTP.CatchAll,
	})

	ls, err := listen(cfg, srv, lsrv)
	if err != nil {
		return err
	}
	errc := make(chan error, len(ls))
	for _, s := range ls {
		log.Info("listening", "proto", s.proto, "addr", s.l.Addr().String())
		go func() { errc <- s.serve(s.l) }()
	}
	log.Info("petrel started", "version", version, "data", cfg.DataDir)

	var serveErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case serveErr = <-errc:
		log.Error("listener failed", "err", serveErr)
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	lmtpDone := make(chan error, 1)
	go func() { lmtpDone <- lsrv.Shutdown(sctx) }()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("shutdown", "err", err)
	}
	if err := <-lmtpDone; err != nil {
		log.Warn("lmtp shutdown", "err", err)
	}
	if serveErr != nil && !errors.Is(serveErr, imapserver.ErrServerClosed) {
		return fmt.Errorf("serve: %w", serveErr)
	}
	log.Info("stopped")
	return nil
}

// listener is one enabled listening socket and the Server method that
// serves it.
type listener struct {
	proto, addr string
	serve       func(net.Listener) error
	l           net.Listener
}

// listen opens the enabled listeners. The IMAP server enforces its
// connection limits across both of its listeners.
func listen(cfg config.Config, srv *imapserver.Server, lsrv *lmtp.Server) ([]listener, error) {
	var ls []listener
	for _, s := range []listener{
		{proto: "imap", addr: cfg.Listen.IMAP, serve: srv.Serve},
		{proto: "imaps", addr: cfg.Listen.IMAPS, serve: srv.ServeTLS},
		{proto: "lmtp", addr: cfg.Listen.LMTP, serve: lsrv.Serve},
	} {
		if s.addr == "" {
			continue // disabled
		}
		l, err := listenAddr(s.addr, s.proto == "lmtp")
		if err != nil {
			for _, s := range ls {
				s.l.Close()
			}
			return nil, err
		}
		s.l = l
		ls = append(ls, s)
	}
	return ls, nil
}

// listenAddr listens on a TCP host:port or, for LMTP, also on a unix
// socket path ("/..." or "unix:..."). A stale socket file left by a
// previous run is replaced; one a live server answers on is not.
func listenAddr(addr string, allowUnix bool) (net.Listener, error) {
	path, unix := config.LMTPUnixPath(addr)
	if !allowUnix || !unix {
		return net.Listen("tcp", addr)
	}
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSocket != 0 {
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("listen unix %s: a server is already listening there", path)
		}
		os.Remove(path)
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	// The MTA usually runs as another user of the same group.
	if err := os.Chmod(path, 0o660); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// serveConfig builds the configuration: defaults, then the file, then
// the flags that were given.
func serveConfig(e env, args []string) (config.Config, error) {
	fs := newFlagSet(e, "serve", "petrel serve [flags]")
	file := fs.String("config", "", "configuration `file` (TOML; see petrel.example.toml)")
	data := fs.String("data", "", "data `directory`")
	imapAddr := fs.String("imap", "", "cleartext+STARTTLS listen `address` (\"\" disables)")
	imapsAddr := fs.String("imaps", "", "implicit-TLS listen `address` (\"\" disables)")
	lmtpAddr := fs.String("lmtp", "", "LMTP listen `address`, host:port or unix socket path (\"\" disables)")
	certFile := fs.String("tls-cert", "", "TLS certificate `file` (PEM)")
	keyFile := fs.String("tls-key", "", "TLS private key `file` (PEM)")
	level := fs.String("log-level", "", "log `level`: debug, info, warn or error")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return config.Config{}, err
	}
	if len(pos) > 0 {
		return config.Config{}, usagef("serve takes no arguments, got %q", pos[0])
	}
	cfg := config.Default()
	if *file != "" {
		if cfg, err = config.Load(*file); err != nil {
			return config.Config{}, err
		}
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "data":
			cfg.DataDir = *data
		case "imap":
			cfg.Listen.IMAP = *imapAddr
		case "imaps":
			cfg.Listen.IMAPS = *imapsAddr
		case "lmtp":
			cfg.Listen.LMTP = *lmtpAddr
		case "tls-cert":
			cfg.TLS.Cert = *certFile
		case "tls-key":
			cfg.TLS.Key = *keyFile
		case "log-level":
			cfg.Log.Level = *level
		}
	})
	if err := cfg.Validate(); err != nil {
		return config.Config{}, err
	}
	return cfg, nil
}

func newLogger(w io.Writer, level slog.Level, format string) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// authOptions maps the configuration, where 0 disables, onto
// auth.Options, where 0 means the default and a negative value disables.
func authOptions(c config.Auth, log *slog.Logger) auth.Options {
	disabledIfZero := func(d time.Duration) time.Duration {
		if d == 0 {
			return -1
		}
		return d
	}
	return auth.Options{
		Logger:    log,
		BaseDelay: disabledIfZero(c.FailureDelay.Duration),
		MaxDelay:  c.MaxFailureDelay.Duration,
		CacheTTL:  disabledIfZero(c.CacheTTL.Duration),
		CacheSize: int(disabledIfZero(time.Duration(c.CacheSize))),
	}
}

// passwordLookup reads a user's password hash from the store.
func passwordLookup(st store.Store) func(ctx context.Context, user string) (string, error) {
	return func(ctx context.Context, user string) (string, error) {
		u, err := st.User(ctx, user)
		if err != nil {
			return "", err
		}
		return u.PasswordHash, nil
	}
}

// ensureFirstUser creates firstUser with a random password, printed once
// to stdout, when the store has no users.
func ensureFirstUser(ctx context.Context, e env, st store.Store) error {
	users, err := st.Users(ctx)
	if err != nil {
		return fmt.Errorf("list users: %w", err)
	}
	if len(users) > 0 {
		return nil
	}
	pw := generatePassword()
	hash, err := auth.HashPassword(pw)
	if err != nil {
		return err
	}
	if err := st.CreateUser(ctx, firstUser, hash); err != nil {
		return fmt.Errorf("create first user: %w", err)
	}
	fmt.Fprintf(e.stdout, "created user %s with password %s\n", firstUser, pw)
	return nil
}

// serverCerts loads the configured certificate, or a generated
// self-signed one in the data directory, into a Reloader. A key that does
// not belong to the certificate stops the start with a message naming
// both files.
func serverCerts(cfg config.Config, log *slog.Logger) (*certs.Reloader, error) {
	certFile, keyFile := cfg.TLS.Cert, cfg.TLS.Key
	if certFile == "" {
		var err error
		if certFile, keyFile, err = certs.EnsureSelfSigned(cfg.DataDir, cfg.TLS.Hosts); err != nil {
			return nil, err
		}
	}
	r, err := certs.NewReloader(certFile, keyFile, log)
	if errors.Is(err, certs.ErrKeyMismatch) {
		return nil, fmt.Errorf("TLS certificate %s does not match private key %s: not starting", certFile, keyFile)
	}
	if err != nil {
		return nil, fmt.Errorf("TLS certificate: %w", err)
	}
	return r, nil
}

// reloadCerts reloads r on every signal from hup until ctx ends. A
// failed reload is logged by r and keeps the previous certificate.
func reloadCerts(ctx context.Context, r *certs.Reloader, hup <-chan os.Signal, log *slog.Logger) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			log.Info("SIGHUP: reloading the TLS certificate")
			r.Reload()
		}
	}
}
