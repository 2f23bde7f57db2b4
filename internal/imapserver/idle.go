package imapserver

import (
	"errors"
	"net"
	"strings"
	"time"

	"petrel.dev/petrel/internal/imap"
)

type lineResult struct {
	line string
	err  error
}

// cmdIdle implements IDLE (RFC 9051 §6.3.13, RFC 2177): changes to the
// selected mailbox are pushed as they are committed, until DONE.
func (s *session) cmdIdle(cmd *imap.Command) error {
	if err := s.continuation("idling"); err != nil {
		return errFatal
	}
	s.conn.SetReadDeadline(time.Now().Add(s.srv.opts.IdleTimeout))
	lines := make(chan lineResult, 1)
	go func() {
		line, err := s.dec.ReadLine()
		lines <- lineResult{line, err}
	}()
	for {
		if s.sel != nil {
			s.flushUpdates(true)
			s.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
			if s.enc.Flush() != nil {
				return errFatal
			}
			if s.state == stateLogout {
				return errFatal
			}
		}
		select {
		case <-s.wake:
		case r := <-lines:
			if r.err != nil {
				if s.closing.Load() {
					s.bye("Server shutting down")
					return errFatal
				}
				var ne net.Error
				if errors.As(r.err, &ne) && ne.Timeout() {
					s.bye("Autologout; idle for too long")
					return errFatal
				}
				if we, ok := asWireError(r.err); ok && !we.Fatal {
					return respBad(we.Code, we.Text)
				}
				return errFatal
			}
			if s.sel != nil {
				s.flushUpdates(true)
			}
			if !strings.EqualFold(r.line, "DONE") {
				return respBad("", "Expected DONE")
			}
			return nil
		}
	}
}
