// Package lmtp is Petrel's LMTP server (RFC 2033), through which an MTA
// such as Postfix hands messages over for local delivery. It is built on
// github.com/emersion/go-smtp in LMTP mode.
//
// # Delivery
//
// DATA is spooled (bounded by the size limit): in memory up to
// SpoolMemory, beyond that in an unlinked temporary file, then appended once per accepted
// recipient through store.Account.Append, the same path as IMAP APPEND,
// so IDLE sessions see the message at once and its parse is cached. Each
// copy starts with "Return-Path: <sender>" and "Delivered-To: rcpt", as
// Dovecot's LMTP writes them; the rest is byte for byte what was received
// (dot-unstuffed, CRLF kept). RFC 2033 §4.2: after DATA there is one
// reply per accepted recipient, in RCPT order, and a 250 is only sent
// once Append returned, that is once the copy is fsynced and committed.
//
// Replies: unknown recipient 550 5.1.1 (at RCPT time); message over the
// size limit 552 5.3.4; over quota 552 5.2.2; any storage failure
// 451 4.3.0, so the MTA keeps the message and retries.
//
// Recipient mapping is Resolver's. go-smtp's address parser needs a
// domain, so over LMTP a bare "alice" is refused with 501 5.5.2; the
// delivery command accepts it.
package lmtp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/emersion/go-smtp"

	"petrel.dev/petrel/internal/store"
)

// Options configure a Server. Zero values take the defaults noted.
type Options struct {
	Store  store.Store
	Logger *slog.Logger // nil: discard
	// Hostname is announced in the greeting; "" is "localhost".
	Hostname string
	// Domains and DetailDelimiter configure the Resolver.
	Domains         []string
	DetailDelimiter string
	// MaxMessageSize is the SIZE limit (RFC 1870); 0 means 64 MiB. The
	// store must accept HeaderRoom bytes more.
	MaxMessageSize int64
	// MaxRecipients caps RCPT per transaction; 0 means 100.
	MaxRecipients int
	// MaxConns caps concurrent connections; 0 means 100. Further
	// connections get "421 4.3.2" and are closed.
	MaxConns int
	// Timeout bounds the wait for each command and for the whole of DATA
	// (go-smtp sets the read deadline when it reads a command line), each
	// write, and each store operation; 0 means 5 minutes.
	Timeout time.Duration
	// TempDir is where DATA is spooled; "" is os.TempDir().
	TempDir string
	// CatchAll, when not "", is the user that receives mail for unknown
	// addresses in the local domains.
	CatchAll string
	// QuotaTempFail answers an over-quota recipient "452 4.2.2" (the MTA
	// retries) instead of "552 5.2.2" (it bounces).
	QuotaTempFail bool
}

// Server is an LMTP server. It has the net/http shape: Serve, Close,
// Shutdown.
type Server struct {
	opts     Options
	log      *slog.Logger
	resolver *Resolver
	smtp     *smtp.Server
	sem      chan struct{} // one token per open connection

	// ctx bounds store calls; cancel ends them on Close.
	ctx    context.Context
	cancel context.CancelFunc

	mu sync.Mutex
	// nextID numbers connections for the logs; guarded by mu.
	nextID uint64
}

// New returns a Server for opts.
func New(opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Hostname == "" {
		opts.Hostname = "localhost"
	}
	if opts.MaxMessageSize <= 0 {
		opts.MaxMessageSize = 64 << 20
	}
	if opts.MaxRecipients <= 0 {
		opts.MaxRecipients = 100
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = 100
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Minute
	}
	s := &Server{
		opts: opts,
		log:  opts.Logger,
		resolver: &Resolver{
			Users:           opts.Store.User,
			Aliases:         opts.Store.Alias,
			Domains:         opts.Domains,
			DetailDelimiter: opts.DetailDelimiter,
			CatchAll:        opts.CatchAll,
		},
		sem: make(chan struct{}, opts.MaxConns),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	ss := smtp.NewServer(s)
	ss.LMTP = true
	ss.Domain = opts.Hostname
	ss.MaxMessageBytes = opts.MaxMessageSize
	ss.MaxRecipients = opts.MaxRecipients
	ss.ReadTimeout = opts.Timeout
	ss.WriteTimeout = opts.Timeout
	ss.EnableSMTPUTF8 = true
	// Real mail has lines far longer than RFC 5321's 1,000 octets (the
	// SpamAssassin corpus has one of 14,299 bytes); go-smtp's default of
	// 2,000 would drop such a delivery mid-DATA. The limit still bounds
	// memory per connection.
	ss.MaxLineLength = maxLineLength
	ss.ErrorLog = slogPrinter{s.log}
	s.smtp = ss
	return s
}

// maxLineLength bounds one line of a command or of DATA.
const maxLineLength = 1 << 20

// NewSession is go-smtp's Backend hook, called at LHLO.
func (s *Server) NewSession(c *smtp.Conn) (smtp.Session, error) {
	s.mu.Lock()
	s.nextID++
	id := s.nextID
	s.mu.Unlock()
	return &session{s: s, log: s.log.With("lmtp_conn", id, "remote", c.Conn().RemoteAddr().String())}, nil
}

// Serve accepts connections on l until Close or Shutdown; it then
// returns nil.
func (s *Server) Serve(l net.Listener) error {
	err := s.smtp.Serve(&limitListener{Listener: l, sem: s.sem, wrap: func(c net.Conn) net.Conn { return &bareConn{Conn: c} }})
	if errors.Is(err, smtp.ErrServerClosed) {
		return nil
	}
	return err
}

// Close closes the listeners and all connections at once; deliveries in
// progress fail and their recipients get no 250.
func (s *Server) Close() error {
	s.cancel()
	err := s.smtp.Close()
	if errors.Is(err, smtp.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown closes the listeners and waits for connections to end, or
// until ctx is done, when it calls Close.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.smtp.Shutdown(ctx)
	if errors.Is(err, smtp.ErrServerClosed) {
		err = nil
	}
	if ctx.Err() != nil {
		s.Close()
	}
	s.cancel()
	return err
}

// limitListener refuses connections beyond cap(sem) with 421.
type limitListener struct {
	net.Listener
	sem  chan struct{}
	wrap func(net.Conn) net.Conn // applied to each accepted connection
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		select {
		case l.sem <- struct{}{}:
			return l.wrap(&limitConn{Conn: c, release: func() { <-l.sem }}), nil
		default:
			// RFC 5321 §3.8: 421 when the service is not available.
			c.SetWriteDeadline(time.Now().Add(time.Second))
			c.Write([]byte("421 4.3.2 Too many connections, try again later\r\n"))
			c.Close()
		}
	}
}

// limitConn gives its token back once, when closed.
type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// slogPrinter adapts go-smtp's Logger to slog.
type slogPrinter struct{ log *slog.Logger }

func (p slogPrinter) Printf(format string, v ...any) {
	p.log.Warn("lmtp", "msg", fmt.Sprintf(format, v...))
}

func (p slogPrinter) Println(v ...any) {
	p.log.Warn("lmtp", "msg", fmt.Sprint(v...))
}
