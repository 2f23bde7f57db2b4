package lmtp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/emersion/go-smtp"

	"petrel.dev/petrel/internal/store"
)

// Replies of RFC 2033 §4.2 per recipient, with RFC 3463 enhanced codes.
var (
	errUnknownUser = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user here"}
	errTooBig      = &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 3, 4}, Message: "Message too big"}
	errOverQuota   = &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 2, 2}, Message: "Mailbox full"}
	// errOverQuotaTemp is the over-quota reply with Options.QuotaTempFail:
	// the MTA keeps the message and retries (RFC 3463 §3.3: X.2.2).
	errOverQuotaTemp = &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 2, 2}, Message: "Mailbox full, try again later"}
	errTempFail      = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Temporary storage failure, try again later"}
	errNoSender      = &smtp.SMTPError{Code: 503, EnhancedCode: smtp.EnhancedCode{5, 5, 1}, Message: "MAIL FROM first"}
	errLongSender    = &smtp.SMTPError{Code: 501, EnhancedCode: smtp.EnhancedCode{5, 1, 7}, Message: "Sender address too long"}
)

// maxSender caps the reverse-path; RFC 5321 §4.5.3.1.3 allows 256 octets.
const maxSender = 320

// replyFor maps a delivery or lookup error to its SMTP reply.
func replyFor(err error) *smtp.SMTPError {
	var se *smtp.SMTPError
	switch {
	case errors.As(err, &se):
		return se
	case errors.Is(err, ErrUnknownRecipient), errors.Is(err, store.ErrNoUser):
		return errUnknownUser
	case errors.Is(err, store.ErrTooBig):
		return errTooBig
	case errors.Is(err, store.ErrOverQuota):
		return errOverQuota
	}
	return errTempFail
}

// reply is replyFor with the server's choice of over-quota reply.
func (ss *session) reply(err error) *smtp.SMTPError {
	r := replyFor(err)
	if r == errOverQuota && ss.s.opts.QuotaTempFail {
		return errOverQuotaTemp
	}
	return r
}

// session is one LMTP connection's transaction state. go-smtp calls its
// methods from the connection's goroutine only.
type session struct {
	s       *Server
	log     *slog.Logger
	from    string
	hasMail bool
	rcpts   []Recipient
	// keys are the recipients as go-smtp has them (with bareDomain for
	// a bare one), for SetStatus; parallel to rcpts.
	keys []string
}

var _ smtp.LMTPSession = (*session)(nil)

// Reset discards the transaction (RSET, or after DATA).
func (ss *session) Reset() {
	ss.from, ss.hasMail, ss.rcpts, ss.keys = "", false, nil, nil
}

// Logout ends the session.
func (ss *session) Logout() error { return nil }

// Mail starts a transaction. RFC 1870 §6.1: a SIZE larger than the limit
// is refused with 552 at once.
func (ss *session) Mail(from string, opts *smtp.MailOptions) error {
	if opts != nil && opts.Size > ss.s.opts.MaxMessageSize {
		return errTooBig
	}
	if len(from) > maxSender {
		return errLongSender
	}
	ss.from, ss.hasMail, ss.rcpts, ss.keys = from, true, nil, nil
	return nil
}

// Rcpt resolves a recipient; RFC 2033 §4.2 lets an unknown one be refused
// here, so the DATA replies only cover accepted recipients.
func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if !ss.hasMail {
		return errNoSender
	}
	ctx, cancel := context.WithTimeout(ss.s.ctx, ss.s.opts.Timeout)
	defer cancel()
	rc, err := ss.s.resolver.Resolve(ctx, unbare(to))
	if err != nil {
		r := replyFor(err)
		if r == errTempFail {
			ss.log.Error("lmtp recipient lookup failed", "rcpt", unbare(to), "err", err)
		}
		return r
	}
	ss.rcpts = append(ss.rcpts, rc)
	ss.keys = append(ss.keys, to)
	return nil
}

// Data is the plain SMTP variant; go-smtp calls LMTPData in LMTP mode.
func (ss *session) Data(r io.Reader) error {
	return ss.LMTPData(r, nil)
}

// LMTPData spools the message (Spool: in memory, or an unlinked
// temporary file when large), then
// appends it once per recipient, with that recipient's Delivered-To,
// and reports each outcome in order (RFC 2033 §4.2). A 250 is given only
// after Append returned, that is, after the message was fsynced and
// committed for that recipient.
func (ss *session) LMTPData(r io.Reader, status smtp.StatusCollector) error {
	start := time.Now()
	f, size, err := Spool(ss.s.opts.TempDir, r, ss.s.opts.MaxMessageSize)
	if err != nil {
		if !errors.Is(err, smtp.ErrDataTooLarge) {
			ss.log.Warn("lmtp data not received", "from", ss.from, "err", err)
		}
		return replyFor(err)
	}
	defer f.Close()
	for i, rc := range ss.rcpts {
		key := ss.keys[i]
		d, err := ss.deliver(rc, f, size, start)
		if status == nil {
			if err != nil {
				return ss.reply(err)
			}
			continue
		}
		if err != nil {
			status.SetStatus(key, ss.reply(err))
			continue
		}
		status.SetStatus(key, &smtp.SMTPError{Code: 250, EnhancedCode: smtp.EnhancedCode{2, 0, 0},
			Message: fmt.Sprintf("Saved in %s as UID %d", d.Mailbox, d.Result.UID)})
	}
	return nil
}

// deliver stores one recipient's copy and logs it.
func (ss *session) deliver(rc Recipient, f *Spooled, size int64, start time.Time) (Delivery, error) {
	ctx, cancel := context.WithTimeout(ss.s.ctx, ss.s.opts.Timeout)
	defer cancel()
	d, err := Deliver(ctx, ss.s.opts.Store, rc.User, rc.Detail, true, Header(ss.from, rc.Address), f, size)
	if err != nil {
		lvl := slog.LevelError
		if r := replyFor(err); r.Code/100 == 5 {
			lvl = slog.LevelInfo
		}
		ss.log.Log(ctx, lvl, "lmtp delivery failed", "from", ss.from, "rcpt", rc.Address, "user", rc.User, "err", err)
		return d, fmt.Errorf("deliver to %s: %w", rc.Address, err)
	}
	ss.log.Info("delivered", "from", ss.from, "rcpt", rc.Address, "user", rc.User,
		"mailbox", d.Mailbox, "uid", d.Result.UID, "size", d.Size, "ms", time.Since(start).Milliseconds())
	return d, nil
}
