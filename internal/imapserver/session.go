package imapserver

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"petrel.dev/petrel/internal/imap"
	"petrel.dev/petrel/internal/store"
	"petrel.dev/petrel/internal/wire"
)

type connState int

const (
	stateNotAuth connState = 1 << iota
	stateAuth
	stateSelected
	stateLogout

	anyState   = stateNotAuth | stateAuth | stateSelected
	authedOnly = stateAuth | stateSelected
)

// writeTimeout bounds how long a client may leave our responses unread.
// The write deadline is moved forward only when less than
// writeTimeout-writeSlack of it is left, not before every write.
const (
	writeTimeout = 5 * time.Minute
	writeSlack   = time.Minute
)

// session is one client connection: RFC 9051 §3's state machine.
// Everything here is owned by the session's goroutine, except pending,
// closing and the fields parkMu guards, which other goroutines use to
// signal it (see iobuf.go).
type session struct {
	srv    *Server
	id     uint64
	conn   net.Conn
	raw    syscall.RawConn // conn's raw connection when it may be waited on unbuffered; else nil
	remote netip.Addr
	tls    bool
	log    *slog.Logger

	// br and bw are nil while the session waits for input (iobuf.go);
	// they are set whenever a command runs.
	br  *bufio.Reader
	bw  *bufio.Writer
	dec *wire.Decoder
	enc *wire.Encoder

	writeDeadline time.Time // the write deadline last set on conn

	state connState
	user  string
	acct  store.Account
	ctx   context.Context // carries the session's origin for store changes
	rev2  bool            // ENABLE IMAP4rev2 (RFC 9051 §6.3.1)
	// condstore: the client is CONDSTORE-aware (RFC 7162 §3.1): untagged
	// FETCH responses carry MODSEQ and SELECT reports HIGHESTMODSEQ.
	condstore bool
	// qresync: ENABLE QRESYNC was given (RFC 7162 §3.2.3): expunges are
	// reported as VANISHED and SELECT accepts the QRESYNC parameter.
	qresync bool
	// uidonly: ENABLE UIDONLY was given (RFC 9586): commands must not use
	// sequence numbers, FETCH responses are UIDFETCH, expunges VANISHED.
	uidonly bool
	sel     *selected
	saved   []uint32 // SEARCHRES result as UIDs (RFC 5182); nil: none saved

	pending atomic.Bool // the selected mailbox changed since the last flush
	closing atomic.Bool // server shutdown requested

	parkMu      sync.Mutex // guards parked, pushable, interrupted and, while parked, the session
	parked      bool       // waiting in an interruptible waitInput
	pushable    bool       // parked in IDLE: signal may push updates (iobuf.go)
	interrupted bool       // signal moved the read deadline into the past
	push        pushWriter // the writer of the push under way
	spill       []byte     // what a push could not send; written first after the wait
	pushes      int        // pushes made (for tests)
	spills      int        // pushes that left a spill (for tests)
}

func newSession(srv *Server, c net.Conn, remote netip.Addr, implicitTLS bool) *session {
	id := srv.nextID.Add(1)
	s := &session{
		srv:    srv,
		id:     id,
		conn:   c,
		remote: remote,
		tls:    implicitTLS,
		state:  stateNotAuth,
		ctx:    store.WithOrigin(srv.ctx, id),
	}
	s.log = srv.log.With("conn", id, "remote", remote.String())
	if implicitTLS {
		s.conn = tls.Server(c, srv.opts.TLS)
	}
	s.setupIO()
	return s
}

// setupIO prepares the decoder and encoder for s.conn, at the start and
// again after STARTTLS.
func (s *session) setupIO() {
	if s.dec != nil {
		s.dropIO()
	}
	s.raw = rawConnOf(s.conn)
	s.writeDeadline = time.Time{} // a new connection, or TLS set its own
	s.dec = wire.NewDecoder(nil, s.continuation, s.srv.opts.Limits)
	s.enc = wire.NewEncoder(nil)
	s.acquireIO()
}

// extendWriteDeadline gives the client writeTimeout to read what is
// written from now on; it touches the connection only when less than
// writeTimeout-writeSlack of the current deadline is left.
func (s *session) extendWriteDeadline() {
	now := time.Now()
	if s.writeDeadline.Sub(now) < writeTimeout-writeSlack {
		s.writeDeadline = now.Add(writeTimeout)
		s.conn.SetWriteDeadline(s.writeDeadline)
	}
}

func (s *session) continuation(text string) error {
	s.enc.Raw("+ ").Raw(text).CRLF()
	return s.enc.Flush()
}

// shutdown asks the session to say BYE and end; safe from any goroutine.
func (s *session) shutdown() {
	s.closing.Store(true)
	s.conn.SetReadDeadline(time.Now())
	s.signal()
}

// run serves the connection to its end on the calling goroutine.
func (s *session) run() {
	if s.greet() {
		s.serve(false, true, nil)
		return
	}
	s.end(nil)
}

// start serves the connection on new goroutines, as the server's
// sessions run, and calls end when it is over. Before waiting for the
// next command, a goroutine that has run a command hands the session to
// a new goroutine and exits: its stack, grown by the deep calls some
// commands make (SQLite, password hashing, MIME parsing), is freed rather
// than kept for as long as the client stays idle, for hours in IDLE.
func (s *session) start(end func()) {
	go func() {
		if s.greet() {
			s.serve(true, true, end)
			return
		}
		s.end(end)
	}()
}

// greet completes an implicit-TLS handshake and sends the greeting; it
// reports whether the session may go on.
func (s *session) greet() bool {
	if tc, ok := s.conn.(*tls.Conn); ok {
		tc.SetDeadline(time.Now().Add(s.srv.opts.AuthTimeout))
		if err := tc.HandshakeContext(s.ctx); err != nil {
			s.log.Debug("tls handshake", "err", err)
			return false
		}
	}
	s.extendWriteDeadline()
	s.enc.Raw("* OK [CAPABILITY ").Raw(s.capabilities()).Raw("] Petrel ready").CRLF()
	return s.enc.Flush() == nil
}

// end releases the session's resources and calls done.
func (s *session) end(done func()) {
	s.cleanup()
	if done != nil {
		done()
	}
}

// serve reads and executes commands until the session ends. With hop,
// it moves to a new goroutine (see start) before waiting for a command,
// unless fresh: this goroutine has not run a command yet.
func (s *session) serve(hop, fresh bool, done func()) {
	for s.state != stateLogout {
		if s.closing.Load() {
			s.bye("Server shutting down")
			break
		}
		ready := false // input is waiting in the socket
		if hop && !fresh && s.dec.Buffered() == 0 {
			if !s.briefWait() {
				go s.serve(hop, true, done)
				return
			}
			ready = true
		}
		fresh = false
		timeout := s.srv.opts.IdleTimeout
		if s.state == stateNotAuth {
			timeout = s.srv.opts.AuthTimeout
		}
		deadline := time.Now().Add(timeout)
		s.conn.SetReadDeadline(deadline)
		if s.closing.Load() {
			continue // Shutdown's deadline may have been overwritten
		}
		// An idle connection holds no buffers. A failed wait needs no
		// handling of its own: the read below fails the same way.
		if !ready {
			s.releaseIO()
			s.waitInput(deadline, false, false)
			s.acquireIO()
		}
		cmd, err := s.dec.ReadCommand()
		s.extendWriteDeadline()
		if err != nil {
			if !s.readError(err) {
				break
			}
			continue
		}
		s.execute(cmd)
		if s.enc.Flush() != nil {
			break
		}
	}
	s.end(done)
}

// hopAfter is how long a session waits for its next command on the
// goroutine that ran the last one before it moves to a new goroutine
// (see start). Clients send commands in bursts; within a burst, moving
// would make every command grow a new stack again (copystack was 5% of
// the server's CPU in the mixed benchmark).
const hopAfter = 50 * time.Millisecond

// briefWait waits up to hopAfter for input and reports whether some
// arrived. Any failure, a Shutdown included, reports false: the caller
// then moves on and meets it at its next read. It reads into the session's
// read buffer rather than peeking at the socket (iobuf.go): within a burst
// the buffer is kept anyway, and the command is then read without another
// system call.
func (s *session) briefWait() bool {
	if s.closing.Load() {
		return false
	}
	s.conn.SetReadDeadline(time.Now().Add(hopAfter))
	s.acquireReader()
	_, err := s.br.Peek(1)
	return err == nil
}

// readError answers a failed ReadCommand; it reports whether the session
// may go on.
func (s *session) readError(err error) bool {
	var we *wire.Error
	if errors.As(err, &we) {
		tag := we.Tag
		if tag == "" {
			tag = "*"
		}
		s.writeStatus(tag, we.Kind, we.Code, we.Text)
		if we.Fatal {
			s.bye("Protocol error, closing")
			return false
		}
		return s.enc.Flush() == nil
	}
	if s.closing.Load() {
		s.bye("Server shutting down")
		return false
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		s.bye("Autologout; idle for too long")
		return false
	}
	if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
		s.log.Debug("read", "err", err)
	}
	return false
}

func (s *session) bye(text string) {
	s.acquireIO()
	s.writeDeadline = time.Now().Add(10 * time.Second)
	s.conn.SetWriteDeadline(s.writeDeadline)
	s.enc.Raw("* BYE ").Raw(text).CRLF()
	s.enc.Flush()
}

func (s *session) cleanup() {
	s.unselect()
	if s.acct != nil {
		s.acct.Close()
	}
	s.conn.Close()
	s.dropIO()
}

// statusResp is a tagged result other than a plain "OK <cmd> completed".
// Handlers return it as an error value; execute writes it.
type statusResp struct {
	kind, code, text string
}

func (r *statusResp) Error() string { return r.kind + " [" + r.code + "] " + r.text }

func respOK(code, text string) error  { return &statusResp{"OK", code, text} }
func respNo(code, text string) error  { return &statusResp{"NO", code, text} }
func respBad(code, text string) error { return &statusResp{"BAD", code, text} }

// errFatal ends the connection after the handler (e.g. broken stream).
var errFatal = errors.New("connection must close")

// execute runs one command: state check, handler, pending updates, and
// the tagged response (RFC 9051 §7.1). A panic inside a handler is
// recovered here, logged, and answered with NO [SERVERBUG].
func (s *session) execute(cmd *imap.Command) {
	spec, ok := commands[cmd.Name]
	if !ok {
		s.writeStatus(cmd.Tag, "BAD", "", "Unknown command")
		return
	}
	if spec.states&s.state == 0 {
		s.writeStatus(cmd.Tag, "BAD", "", fmt.Sprintf("%s not allowed in the %s state", cmd.Name, stateName(s.state)))
		return
	}
	// Commands are traced (at debug level, after they finish) without
	// their arguments, so passwords and message contents never reach the
	// log.
	start := time.Now()
	err := s.uidRequired(cmd)
	if err == nil {
		err = s.callHandler(spec.fn, cmd)
	}
	if errors.Is(err, errFatal) {
		s.state = stateLogout
		return
	}
	if errors.Is(err, errAlreadyAnswered) {
		return
	}
	if s.state == stateLogout {
		return
	}
	// RFC 9051 §7.5.1: no EXPUNGE while a command that uses sequence
	// numbers is in progress.
	if s.sel != nil && !spec.noUpdates {
		s.flushUpdates(cmd.UID || !spec.seqNumbers)
	}
	switch sr := asStatusResp(err); {
	case err == nil:
		s.writeCompleted(cmd)
		s.traceCommand(cmd, "OK", "", start)
	case sr != nil:
		s.writeStatus(cmd.Tag, sr.kind, sr.code, sr.text)
		s.traceCommand(cmd, sr.kind, sr.code, start)
	default:
		s.log.Error("command failed", "cmd", cmd.Name, "user", s.user, "err", err)
		s.writeStatus(cmd.Tag, "NO", "SERVERBUG", "Internal error, see server log")
	}
}

func (s *session) callHandler(fn handler, cmd *imap.Command) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("panic in command", "cmd", cmd.Name, "user", s.user, "panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return fn(s, cmd)
}

func commandName(cmd *imap.Command) string {
	if cmd.UID {
		return "UID " + cmd.Name
	}
	return cmd.Name
}

func stateName(st connState) string {
	switch st {
	case stateNotAuth:
		return "not authenticated"
	case stateAuth:
		return "authenticated"
	case stateSelected:
		return "selected"
	}
	return "logout"
}

func asWireError(err error) (*wire.Error, bool) {
	var we *wire.Error
	ok := errors.As(err, &we)
	return we, ok
}

func (s *session) writeStatus(tag, kind, code, text string) {
	s.enc.Raw(tag).SP().Raw(kind).SP()
	if code != "" {
		s.enc.Raw("[").Raw(code).Raw("] ")
	}
	s.enc.Raw(sanitizeText(text)).CRLF()
}

// untagged writes "* " + text + CRLF.
func (s *session) untagged(text string) { s.enc.Raw("* ").Raw(text).CRLF() }

// sanitizeText keeps human text on one line (RFC 9051 §9 "text").
func sanitizeText(t string) string {
	if t == "" {
		return "."
	}
	if strings.ContainsAny(t, "\r\n\x00") {
		return strings.NewReplacer("\r", " ", "\n", " ", "\x00", " ").Replace(t)
	}
	return t
}

// storeError maps a store error to a tagged response (RFC 9051 §7.1,
// RFC 5530 codes). Unknown errors are internal: logged by execute.
func storeError(err error, missingCode string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNoMailbox):
		return respNo(missingCode, "Mailbox does not exist")
	case errors.Is(err, store.ErrMailboxExists):
		return respNo("ALREADYEXISTS", "Mailbox already exists")
	case errors.Is(err, store.ErrCannot):
		return respNo("CANNOT", strings.TrimPrefix(err.Error(), "store: "))
	case errors.Is(err, store.ErrNoSelect):
		return respNo("CANNOT", "Mailbox cannot be selected")
	case errors.Is(err, store.ErrTooBig):
		return respNo("TOOBIG", "Message too big")
	case errors.Is(err, store.ErrOverQuota):
		return respNo("OVERQUOTA", "Quota exceeded")
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		return respNo("UNAVAILABLE", "Storage busy, try again")
	}
	return err
}
