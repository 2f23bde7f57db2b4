package imapserver

import (
	"errors"
	"io"
	"strconv"
	"time"

	"petrel.dev/petrel/internal/imap"
	"petrel.dev/petrel/internal/store"
)

// cmdAppend implements APPEND (RFC 9051 §6.3.12) with MULTIAPPEND
// (RFC 3502), literal8 (RFC 3516 §4.4), APPENDLIMIT (RFC 7889) and
// APPENDUID (RFC 4315). Each message streams from the socket into the
// store; nothing buffers it whole.
//
// MULTIAPPEND is all-or-nothing (RFC 3502 §3): when a later message
// fails, the messages already stored by this command are expunged again
// before the NO is sent.
func (s *session) cmdAppend(cmd *imap.Command) error {
	name := normalizeName(cmd.Args.(*imap.AppendArgs).Mailbox)
	var (
		results []store.AppendResult
		failure error
	)
	for {
		msg, err := s.dec.ReadAppendMessage()
		if err != nil {
			failure = s.appendReadError(err)
			break
		}
		if msg == nil {
			break
		}
		if err := checkStoreFlags(msg.Flags); err != nil {
			s.dec.RejectAppend()
			failure = err
			break
		}
		if msg.Size > s.srv.opts.Limits.MaxAppend {
			if err := s.dec.RejectAppend(); err != nil {
				failure = s.appendReadError(err)
				break
			}
			failure = respNo("TOOBIG", "Message exceeds APPENDLIMIT of "+strconv.FormatInt(s.srv.opts.Limits.MaxAppend, 10)+" bytes")
			break
		}
		// RFC 9051 §6.3.12: the mailbox must exist (TRYCREATE), and the
		// quota must leave room (RFC 9208 §4.3). The store checks both
		// when it commits; before a synchronising literal they are
		// checked here too, so that a refused message is never sent. A
		// non-synchronising literal (RFC 7888) comes anyway, and the
		// store's answer is the same.
		if s.dec.AppendSync() {
			if len(results) == 0 {
				if _, err := s.acct.Status(s.ctx, name); err != nil {
					s.dec.RejectAppend()
					failure = storeError(err, "TRYCREATE")
					break
				}
			}
			if err := s.quotaRoom(msg.Size); err != nil {
				s.dec.RejectAppend()
				failure = err
				break
			}
		}
		body, err := s.dec.AppendBody()
		if err != nil {
			failure = s.appendReadError(err)
			break
		}
		// The client may take its time sending a large literal.
		s.conn.SetReadDeadline(time.Now().Add(s.srv.opts.IdleTimeout))
		cr := &countingReader{r: body}
		res, err := s.acct.Append(s.ctx, name, store.AppendMessage{
			Flags:        canonicalFlags(msg.Flags),
			InternalDate: msg.Date,
			Body:         cr,
			Size:         msg.Size,
		})
		if err != nil {
			if cr.readErr != nil {
				// The connection broke mid-literal: nothing more can be read.
				failure = errFatal
				break
			}
			// Drain what the store left unread, then the rest of the line.
			if _, derr := io.Copy(io.Discard, body); derr != nil {
				failure = errFatal
				break
			}
			s.dec.SkipCommand()
			failure = storeError(err, "TRYCREATE")
			break
		}
		results = append(results, res)
	}
	if failure != nil {
		s.undoAppends(results)
		return failure
	}
	if len(results) == 0 {
		return respBad("", "APPEND without a message")
	}
	uids := make([]uint32, len(results))
	for i, r := range results {
		uids[i] = r.UID
	}
	code := "APPENDUID " + strconv.FormatUint(uint64(results[0].UIDValidity), 10) + " " + imap.SeqSetFromNums(uids).String()
	return respOK(code, "APPEND completed")
}

// quotaRoom answers NO [OVERQUOTA] (RFC 9208 §4.3) when one more message
// of size bytes cannot fit.
func (s *session) quotaRoom(size int64) error {
	q, u, err := s.acct.Quota(s.ctx)
	if err != nil {
		return storeError(err, "NONEXISTENT")
	}
	if (q.Storage > 0 && u.Storage+size > q.Storage) || (q.Messages > 0 && u.Messages+1 > q.Messages) {
		return respNo("OVERQUOTA", "Quota exceeded")
	}
	return nil
}

// appendReadError maps a decoder error inside APPEND.
func (s *session) appendReadError(err error) error {
	if we, ok := asWireError(err); ok {
		if we.Fatal {
			s.writeStatus("*", "BAD", we.Code, we.Text)
			return errFatal
		}
		return &statusResp{we.Kind, we.Code, we.Text}
	}
	return errFatal
}

// undoAppends expunges messages stored by a MULTIAPPEND that failed.
func (s *session) undoAppends(results []store.AppendResult) {
	if len(results) == 0 {
		return
	}
	byBox := map[int64][]uint32{}
	for _, r := range results {
		byBox[r.MailboxID] = append(byBox[r.MailboxID], r.UID)
	}
	mboxes, err := s.acct.Mailboxes(s.ctx)
	if err != nil {
		s.log.Error("undo multiappend", "err", err)
		return
	}
	for _, m := range mboxes {
		uids := byBox[m.ID]
		if uids == nil {
			continue
		}
		mb, err := s.acct.Mailbox(s.ctx, m.Name)
		if err == nil {
			_, err = mb.StoreFlags(s.ctx, uids, store.FlagsAdd, []string{imap.FlagDeleted})
		}
		if err == nil {
			_, err = mb.Expunge(s.ctx, uids)
		}
		if err != nil {
			s.log.Error("undo multiappend", "mailbox", m.Name, "err", err)
		}
	}
}

// countingReader remembers a read error from the client's connection, to
// tell it apart from a store-side failure.
type countingReader struct {
	r       io.Reader
	readErr error
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		c.readErr = err
	}
	return n, err
}
