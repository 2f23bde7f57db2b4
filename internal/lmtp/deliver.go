package lmtp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"petrel.dev/petrel/internal/store"
)

// HeaderRoom is the most that Header adds to a message received over
// LMTP (the sender is at most maxSender bytes, the recipient at most
// maxAddress): the SIZE limit is the store's limit minus HeaderRoom.
const HeaderRoom = 1024

// Header returns the trace header fields prepended to a delivered
// message, as Dovecot's LMTP and LDA write them: "Return-Path:
// <from>" (RFC 5322 §3.6.7, the envelope sender; "<>" for bounces) and
// "Delivered-To: rcpt". Control characters in either are dropped so
// that an address cannot inject header lines.
func Header(from, rcpt string) []byte {
	var b bytes.Buffer
	b.WriteString("Return-Path: <")
	b.WriteString(clean(from))
	b.WriteString(">\r\n")
	b.Write(DeliveredTo(rcpt))
	return b.Bytes()
}

// DeliveredTo returns the "Delivered-To: rcpt" field alone, for a
// delivery without a known envelope sender.
func DeliveredTo(rcpt string) []byte {
	return []byte("Delivered-To: " + clean(rcpt) + "\r\n")
}

func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

// Delivery is one message delivered to one account.
type Delivery struct {
	Mailbox string // where it went
	Result  store.AppendResult
	Size    int64 // stored size, header included
}

// Deliver appends header followed by body (size bytes) to mailbox of
// user ("" means INBOX). A mailbox that does not exist or cannot be
// selected falls back to INBOX when fallback is set, as a "+detail"
// naming no mailbox does. It returns once the message is on stable
// storage (store.Account.Append's promise).
func Deliver(ctx context.Context, st store.Store, user, mailbox string, fallback bool, header []byte, body io.ReaderAt, size int64) (Delivery, error) {
	acct, err := st.OpenAccount(ctx, user)
	if err != nil {
		return Delivery{}, err
	}
	defer acct.Close()
	if mailbox == "" {
		mailbox = "INBOX"
	}
	total := int64(len(header)) + size
	for {
		msg := store.AppendMessage{
			Body: io.MultiReader(bytes.NewReader(header), io.NewSectionReader(body, 0, size)),
			Size: total,
		}
		res, err := acct.Append(ctx, mailbox, msg)
		if err == nil {
			return Delivery{Mailbox: mailbox, Result: res, Size: total}, nil
		}
		if fallback && mailbox != "INBOX" && (errors.Is(err, store.ErrNoMailbox) || errors.Is(err, store.ErrNoSelect)) {
			mailbox = "INBOX"
			continue
		}
		return Delivery{}, fmt.Errorf("deliver to %s/%s: %w", user, mailbox, err)
	}
}
