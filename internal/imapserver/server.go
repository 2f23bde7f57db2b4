// Package imapserver is Petrel's IMAP4rev2/IMAP4rev1 server: connection
// handling, the per-connection session state machine, every command of
// RFC 9051 and the extensions Petrel advertises, and the shared in-memory
// state of open mailboxes that lets many sessions on one mailbox see each
// other's changes (RFC 9051 §5.2, §7.5.1).
//
// Data flows one way: bytes are parsed by internal/wire into
// imap.Command values, the session executes them against the
// internal/store interface, and responses are written with wire.Encoder.
// The session never sees SQL or files; the store never formats IMAP.
//
// Locking: Server.mu guards the connection set and per-IP counters;
// hub.mu guards the map of open mailboxes; sharedBox.mu guards one
// mailbox's message list and change log. Lock order: hub.mu before
// sharedBox.mu. No lock is ever held while writing to a socket or while
// calling into the store (the store calls OnChange, which takes
// sharedBox.mu).
package imapserver

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"petrel.dev/petrel/internal/auth"
	"petrel.dev/petrel/internal/store"
	"petrel.dev/petrel/internal/wire"
)

// Options configure a Server.
type Options struct {
	Store  store.Store
	Auth   *auth.Authenticator
	TLS    *tls.Config // nil: no STARTTLS and no implicit TLS
	Logger *slog.Logger
	Limits wire.Limits
	// AuthTimeout bounds the time to log in (default 60 s); IdleTimeout
	// the inactivity allowed after login (default and minimum 30 min,
	// RFC 9051 §5.4), also used for IDLE.
	AuthTimeout, IdleTimeout time.Duration
	// MaxConnsPerIP caps concurrent connections from one address (0: 100);
	// MaxConns caps them in total (0: no cap). Connections over a cap are
	// answered with BYE [UNAVAILABLE] and closed.
	MaxConnsPerIP, MaxConns int
	// InsecureAuth allows plaintext authentication on cleartext
	// connections from non-loopback addresses. Off by default.
	InsecureAuth bool
}

// Server serves IMAP on any number of listeners.
type Server struct {
	opts   Options
	log    *slog.Logger
	ctx    context.Context // the daemon's context, cancelled by Close
	cancel context.CancelFunc
	hub    *hub
	nextID atomic.Uint64

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*session]struct{}
	perIP     map[netip.Addr]int
	closing   bool
	wg        sync.WaitGroup
}

// ErrServerClosed is returned by Serve after Shutdown or Close.
var ErrServerClosed = errors.New("imapserver: server closed")

// New returns a server; call Serve or ServeTLS to accept connections.
func New(opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Limits == (wire.Limits{}) {
		opts.Limits = wire.DefaultLimits()
	}
	if opts.AuthTimeout <= 0 {
		opts.AuthTimeout = 60 * time.Second
	}
	if opts.IdleTimeout < 30*time.Minute {
		opts.IdleTimeout = 30 * time.Minute
	}
	if opts.MaxConnsPerIP <= 0 {
		opts.MaxConnsPerIP = 100
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{
		ctx:       ctx,
		cancel:    cancel,
		opts:      opts,
		log:       opts.Logger,
		hub:       newHub(),
		listeners: make(map[net.Listener]struct{}),
		conns:     make(map[*session]struct{}),
		perIP:     make(map[netip.Addr]int),
	}
}

// OnChange receives every committed store change; pass it to
// store.Options.OnChange.
func (s *Server) OnChange(c store.Change) { s.hub.apply(c) }

// Serve accepts cleartext connections (with STARTTLS when TLS is set).
func (s *Server) Serve(l net.Listener) error { return s.serve(l, false) }

// ServeTLS accepts implicit-TLS connections (RFC 8314).
func (s *Server) ServeTLS(l net.Listener) error {
	if s.opts.TLS == nil {
		return errors.New("imapserver: ServeTLS without a TLS config")
	}
	return s.serve(l, true)
}

func (s *Server) serve(l net.Listener, implicitTLS bool) error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return ErrServerClosed
	}
	s.listeners[l] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, l)
		s.mu.Unlock()
	}()
	var delay time.Duration
	for {
		c, err := l.Accept()
		if err != nil {
			s.mu.Lock()
			closing := s.closing
			s.mu.Unlock()
			if closing {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, syscallEMFILE) {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				s.log.Warn("accept", "err", err, "retry", delay)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		s.accept(c, implicitTLS)
	}
}

func (s *Server) accept(c net.Conn, implicitTLS bool) {
	remote := remoteAddr(c)
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		c.Close()
		return
	}
	refuse := ""
	switch {
	case s.perIP[remote] >= s.opts.MaxConnsPerIP:
		refuse = "Too many connections from your address"
	case s.opts.MaxConns > 0 && len(s.conns) >= s.opts.MaxConns:
		refuse = "Too many connections, try again later"
	}
	if refuse != "" {
		s.mu.Unlock()
		s.log.Warn("connection refused", "remote", remote, "reason", refuse)
		c.SetWriteDeadline(time.Now().Add(5 * time.Second))
		c.Write([]byte("* BYE [UNAVAILABLE] " + refuse + "\r\n"))
		c.Close()
		return
	}
	s.perIP[remote]++
	sess := newSession(s, c, remote, implicitTLS)
	s.conns[sess] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	sess.start(func() {
		s.mu.Lock()
		delete(s.conns, sess)
		if s.perIP[remote]--; s.perIP[remote] <= 0 {
			delete(s.perIP, remote)
		}
		s.mu.Unlock()
		s.wg.Done()
	})
}

// Shutdown stops accepting, tells every session BYE at its next
// opportunity, and waits for them to end or ctx to expire, after which
// remaining connections are closed.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	for l := range s.listeners {
		l.Close()
	}
	for c := range s.conns {
		c.shutdown()
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.Close()
		<-done
		return ctx.Err()
	}
}

// Close closes all listeners and connections at once.
func (s *Server) Close() error {
	s.cancel()
	s.mu.Lock()
	s.closing = true
	for l := range s.listeners {
		l.Close()
	}
	for c := range s.conns {
		c.conn.Close()
	}
	s.mu.Unlock()
	return nil
}

func remoteAddr(c net.Conn) netip.Addr {
	if ap, err := netip.ParseAddrPort(c.RemoteAddr().String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}
