package imapserver

// Connection buffers and waiting for input.
//
// Most connections are idle most of the time: between commands, and above
// all in IDLE (RFC 2177, RFC 9051 §6.3.13), where a mail client may stay
// for hours. An idle session holds no read or write buffer: its 4 KiB
// bufio.Reader and bufio.Writer go back to a sync.Pool before it waits,
// and it takes them again when input arrives or when it has updates to
// write. On a plain TCP connection the session waits for readability
// without reading anything (a one-byte MSG_PEEK through syscall.RawConn,
// see rawconn_unix.go), so nothing needs a buffer while it waits. On TLS
// (crypto/tls keeps records it has read in its own buffers, invisible to
// a peek at the socket) and other connections it waits in
// bufio.Reader.Peek(1) and keeps its read buffer.
//
// One goroutine serves a session, in IDLE too: the goroutine waits for
// input, and signal interrupts that wait by moving the read deadline into
// the past. parkMu makes this safe: the deadline is only moved while the
// session is parked in a wait that consumes no input, never while it reads
// a command or IDLE's DONE, so an interruption never loses a byte. After
// a wait the session restores its real deadline before reading.
//
// A session parked in IDLE on a plain TCP connection is not woken at all:
// signal pushes its updates itself (pushLocked), on the signalling
// goroutine and under parkMu, which the session takes before it touches
// its state again. The push writes without waiting (writeNow): what the
// socket does not take at once is kept in spill and only then is the
// session woken, to write it with its write deadline before anything
// else. At 10,000 sessions in IDLE on one mailbox, a wake-up cost the
// server a goroutine switch, a MSG_PEEK, three deadline changes and a
// pool round trip per session on top of the write itself: a third of the
// CPU of telling them all about a new message.

import (
	"bufio"
	"errors"
	"net"
	"runtime"
	"sync"
	"syscall"
	"time"
)

// ioBufSize is the size of a session's read and write buffers.
const ioBufSize = 4096

var (
	readerPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, ioBufSize) }}
	writerPool = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, ioBufSize) }}
)

// errWoken is returned by waitInput when signal interrupted the wait.
var errWoken = errors.New("imapserver: session woken")

// pastDeadline is a read deadline that has passed: it wakes a waiting
// read at once.
var pastDeadline = time.Unix(1, 0)

// acquireIO gives the session read and write buffers if it has none.
func (s *session) acquireIO() {
	s.acquireReader()
	s.acquireWriter()
}

func (s *session) acquireWriter() {
	if s.bw == nil {
		bw := writerPool.Get().(*bufio.Writer)
		bw.Reset(s.conn)
		s.bw = bw
		s.enc.SetWriter(bw)
	}
}

func (s *session) acquireReader() {
	if s.br == nil {
		br := readerPool.Get().(*bufio.Reader)
		br.Reset(s.conn)
		s.br = br
		s.dec.SetReader(br)
	}
}

// releaseIO hands the session's buffers back to their pools where that
// loses nothing: the writer once it is flushed, the reader when it holds
// no unread input and the session can wait without it (a raw
// connection).
func (s *session) releaseIO() {
	if s.bw != nil && s.bw.Buffered() == 0 {
		s.bw.Reset(nil)
		writerPool.Put(s.bw)
		s.bw = nil
		s.enc.SetWriter(nil)
	}
	if s.br != nil && s.raw != nil && s.br.Buffered() == 0 {
		s.br.Reset(nil)
		readerPool.Put(s.br)
		s.br = nil
		s.dec.SetReader(nil)
	}
}

// dropIO forgets the session's buffers, returning those that can be
// reused; used when the connection changes (STARTTLS) or ends.
func (s *session) dropIO() {
	if s.bw != nil && s.bw.Buffered() == 0 {
		s.bw.Reset(nil)
		writerPool.Put(s.bw)
	}
	if s.br != nil && s.br.Buffered() == 0 {
		s.br.Reset(nil)
		readerPool.Put(s.br)
	}
	s.br, s.bw = nil, nil
	s.dec.SetReader(nil)
	s.enc.SetWriter(nil)
}

// waitInput blocks until the client has sent something (nil) or the read
// deadline, set by the caller to deadline, passes (the read's timeout
// error; also at Shutdown). When interruptible, signal ends the wait
// early with errWoken, and so does a signal that came before the wait;
// with push as well (IDLE), signal first tries to write the updates
// itself and wakes the session only if that fails. Any other error is
// the connection's: the next read reports it.
func (s *session) waitInput(deadline time.Time, interruptible, push bool) error {
	if s.raw == nil {
		s.acquireReader() // the wait needs it; releaseIO keeps it anyway
	}
	if s.br != nil && s.br.Buffered() > 0 {
		return nil
	}
	if interruptible {
		s.parkMu.Lock()
		if s.pending.Load() || s.closing.Load() {
			s.parkMu.Unlock()
			return errWoken
		}
		s.parked = true
		s.pushable = push && s.raw != nil
		s.parkMu.Unlock()
	}
	var err error
	if s.raw != nil {
		err = waitReadable(s.raw)
	} else {
		_, err = s.br.Peek(1)
	}
	if !interruptible {
		return err
	}
	s.parkMu.Lock()
	s.parked, s.pushable = false, false
	interrupted := s.interrupted
	s.interrupted = false
	s.parkMu.Unlock()
	if !interrupted {
		return err
	}
	// The deadline was moved into the past: restore it. If it has passed
	// meanwhile, the next wait times out at once.
	s.conn.SetReadDeadline(deadline)
	if err != nil && isTimeout(err) {
		return errWoken
	}
	return err
}

// signal tells the session that its selected mailbox changed; safe from
// any goroutine. A session waiting in IDLE is told at once: its updates
// are pushed from here, or it wakes up to send them; otherwise the change
// is reported at the next point RFC 9051 §7.5.1 allows.
func (s *session) signal() {
	if s.pending.Swap(true) {
		return // an earlier signal has not been taken yet: it covers this one
	}
	s.parkMu.Lock()
	defer s.parkMu.Unlock()
	if !s.parked || s.interrupted {
		return
	}
	if s.pushable && !s.closing.Load() && s.pushLocked() {
		return
	}
	s.interrupted = true
	s.conn.SetReadDeadline(pastDeadline)
}

// pushLocked sends the updates of a session parked in IDLE (what its own
// goroutine would send, RFC 2177 §3) and reports whether all of it went
// out, so that the session may stay parked. parkMu is held: the session's
// goroutine does not touch its state until it has taken parkMu back.
func (s *session) pushLocked() bool {
	s.pending.Store(false)
	s.push = pushWriter{raw: s.raw}
	bw := writerPool.Get().(*bufio.Writer)
	bw.Reset(&s.push)
	s.enc.SetWriter(bw)
	s.flushUpdates(true)
	err := s.enc.Flush()
	s.enc.SetWriter(s.bw) // nil while parked: releaseIO gave it back
	bw.Reset(nil)
	writerPool.Put(bw)
	s.spill = s.push.spill
	s.push = pushWriter{}
	s.pushes++
	if len(s.spill) > 0 {
		s.spills++
	}
	return err == nil && len(s.spill) == 0 && s.state != stateLogout
}

// pushWriter is what a push writes to: it sends what the socket takes
// without waiting and keeps the rest, in order, in spill. It never fails;
// a write error leaves the rest in spill too, for the session to meet.
type pushWriter struct {
	raw   syscall.RawConn
	spill []byte
}

func (w *pushWriter) Write(p []byte) (int, error) {
	n := len(p)
	if len(w.spill) == 0 {
		sent, _ := writeNow(w.raw, p) // an error leaves p unsent
		p = p[sent:]
	}
	w.spill = append(w.spill, p...)
	return n, nil
}

// takeSpill puts what a push left unsent in front of the session's output
// (called by the session's goroutine after a wait).
func (s *session) takeSpill() {
	if len(s.spill) == 0 {
		return
	}
	s.acquireWriter()
	s.extendWriteDeadline()
	s.enc.RawBytes(s.spill)
	s.spill = nil
}

// signalInline is how many sessions signalAll signals on the caller's
// goroutine; more are spread over one goroutine per processor, as each
// signal may push a write.
const signalInline = 8

// signalAll signals ss without making the caller wait for many pushes.
func signalAll(ss []*session) {
	if len(ss) <= signalInline {
		for _, s := range ss {
			s.signal()
		}
		return
	}
	n := min(runtime.GOMAXPROCS(0), (len(ss)+signalInline-1)/signalInline)
	for i := range n {
		part := ss[i*len(ss)/n : (i+1)*len(ss)/n]
		go func() {
			for _, s := range part {
				s.signal()
			}
		}()
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
