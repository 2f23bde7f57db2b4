package imapserver

import (
	"strings"
	"time"

	"petrel.dev/petrel/internal/imap"
)

// cmdIdle implements IDLE (RFC 9051 §6.3.13, RFC 2177): changes to the
// selected mailbox are pushed as they are committed, until DONE.
//
// The session waits for input with no buffers held (iobuf.go). When the
// mailbox changes, signal pushes the updates from the goroutine that
// publishes the change, in one write, or wakes the session to send them.
// RFC 2177 §3: the server may send EXISTS, EXPUNGE and FETCH at any time
// while idling, so expunges are reported here too (RFC 9051 §7.5.1 allows
// them: IDLE uses no sequence numbers).
func (s *session) cmdIdle(cmd *imap.Command) error {
	if err := s.continuation("idling"); err != nil {
		return errFatal
	}
	deadline := time.Now().Add(s.srv.opts.IdleTimeout)
	s.conn.SetReadDeadline(deadline)
	for {
		// Take the signal before reading the mailbox state: a change
		// published after this point signals again.
		s.pending.Store(false)
		if s.sel != nil {
			s.acquireWriter() // the reader is needed only once input comes
			s.flushUpdates(true)
			s.extendWriteDeadline()
			if s.enc.Flush() != nil {
				return errFatal
			}
			if s.state == stateLogout {
				return errFatal
			}
		}
		s.releaseIO()
		err := s.waitInput(deadline, true, true)
		s.takeSpill()
		if err == errWoken {
			if s.closing.Load() {
				s.bye("Server shutting down")
				return errFatal
			}
			continue
		}
		var line string
		if err == nil {
			s.acquireIO()
			line, err = s.dec.ReadLine()
		}
		if err != nil {
			return s.idleReadError(err)
		}
		if s.sel != nil {
			s.flushUpdates(true)
		}
		if !strings.EqualFold(line, "DONE") {
			return respBad("", "Expected DONE")
		}
		return nil
	}
}

// idleReadError answers a failed read of IDLE's DONE line.
func (s *session) idleReadError(err error) error {
	s.acquireIO()
	if s.closing.Load() {
		s.bye("Server shutting down")
		return errFatal
	}
	if isTimeout(err) {
		s.bye("Autologout; idle for too long")
		return errFatal
	}
	if we, ok := asWireError(err); ok && !we.Fatal {
		return respBad(we.Code, we.Text)
	}
	return errFatal
}
