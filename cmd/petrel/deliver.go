package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"petrel.dev/petrel/internal/config"
	"petrel.dev/petrel/internal/lmtp"
	"petrel.dev/petrel/internal/store"
	"petrel.dev/petrel/internal/store/sqlitestore"
)

// Exit codes of "petrel deliver", from sysexits.h, which MTAs read:
// Postfix retries on EX_TEMPFAIL and bounces on the others.
const (
	exUsage     = 64 // EX_USAGE: bad command line
	exDataErr   = 65 // EX_DATAERR: the message is larger than the limit
	exNoUser    = 67 // EX_NOUSER: no such account
	exCantCreat = 73 // EX_CANTCREAT: --create could not create the mailbox
	exTempFail  = 75 // EX_TEMPFAIL: storage or configuration failure; retry
)

// exitCodeError makes run exit with code after printing the message.
type exitCodeError struct {
	code int
	err  error
}

func (e exitCodeError) Error() string { return e.err.Error() }
func (e exitCodeError) Unwrap() error { return e.err }

// cmdDeliver is "petrel deliver", for an MTA's mailbox_command: it stores
// the message on stdin for USER, as dovecot-lda does.
//
// USER is resolved like an LMTP recipient (a user name, or an address
// of a configured domain, with an optional +detail naming the mailbox).
// --mailbox NAME delivers to NAME instead of INBOX; like dovecot-lda's
// -m, a NAME that does not exist falls back to INBOX, unless --create is
// given, which creates it (failing with 73 EX_CANTCREAT). Over quota
// exits 75 so that the MTA keeps the message and retries, as Dovecot's
// quota_full_tempfail = yes does.
func cmdDeliver(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "deliver", "petrel deliver [--data DIR] [--config FILE] [--mailbox NAME [--create]] [-f SENDER] USER < message")
	file := fs.String("config", "", "configuration `file` (data_dir, size limit, lmtp.domains)")
	data := fs.String("data", "", "data `directory` (default: the configuration's data_dir)")
	mailbox := fs.String("mailbox", "", "deliver to mailbox `NAME` instead of INBOX (INBOX if it does not exist)")
	create := fs.Bool("create", false, "create the --mailbox if it does not exist")
	sender := fs.String("f", "", "envelope `SENDER` for Return-Path (default: $SENDER)")
	pos, err := parseFlags(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	if err == nil && len(pos) != 1 {
		err = fmt.Errorf("deliver needs exactly one USER")
	}
	if err == nil && *create && *mailbox == "" {
		err = fmt.Errorf("--create needs --mailbox")
	}
	if err != nil {
		return exitCodeError{exUsage, err}
	}
	cfg := config.Default()
	if *file != "" {
		if cfg, err = config.Load(*file); err != nil {
			return exitCodeError{exTempFail, err}
		}
	}
	if *data != "" {
		cfg.DataDir = *data
	}
	from, hasFrom := *sender, *sender != ""
	if !hasFrom {
		from, hasFrom = os.LookupEnv("SENDER")
	}
	return deliver(ctx, e, cfg, pos[0], *mailbox, *create, from, hasFrom)
}

// deliver does cmdDeliver's work once the flags are parsed.
func deliver(ctx context.Context, e env, cfg config.Config, rcpt, mailbox string, create bool, from string, hasFrom bool) error {
	temp := func(err error) error { return exitCodeError{exTempFail, err} }
	if _, err := os.Stat(cfg.DataDir); err != nil {
		return temp(fmt.Errorf("data directory: %w", err))
	}
	st, err := sqlitestore.Open(cfg.DataDir, store.Options{MaxMessageSize: int64(cfg.Limits.AppendLimit), NoMaintenance: true,
		DefaultQuota: storeQuota(cfg.Quota)})
	if err != nil {
		return temp(err)
	}
	defer st.Close()
	res := lmtp.Resolver{Users: st.User, Aliases: st.Alias, Domains: cfg.LMTP.Domains,
		DetailDelimiter: cfg.LMTP.DetailDelimiter, CatchAll: cfg.LMTP.CatchAll}
	rc, err := res.Resolve(ctx, rcpt)
	if errors.Is(err, lmtp.ErrUnknownRecipient) {
		return exitCodeError{exNoUser, fmt.Errorf("no such user: %s", rcpt)}
	}
	if err != nil {
		return temp(err)
	}
	target := rc.Detail
	if mailbox != "" {
		target = mailbox
	}
	if create {
		if err := ensureMailbox(ctx, st, rc.User, mailbox); err != nil {
			if errors.Is(err, store.ErrNoUser) {
				return exitCodeError{exNoUser, err}
			}
			return exitCodeError{exCantCreat, err}
		}
	}

	spoolDir := filepath.Join(cfg.DataDir, "spool")
	if err := os.MkdirAll(spoolDir, 0o700); err != nil {
		return temp(err)
	}
	limit := max(int64(cfg.Limits.AppendLimit)-lmtp.HeaderRoom, 1)
	f, size, err := lmtp.Spool(spoolDir, lmtp.LocalMessage(e.stdin), limit)
	if err != nil {
		if errors.Is(err, lmtp.ErrTooBig) {
			return exitCodeError{exDataErr, fmt.Errorf("message too big: larger than %d bytes", limit)}
		}
		return temp(fmt.Errorf("read message: %w", err))
	}
	defer f.Close()
	hdr := lmtp.DeliveredTo(rcpt)
	if hasFrom {
		hdr = lmtp.Header(from, rcpt)
	}
	_, err = lmtp.Deliver(ctx, st, rc.User, target, true, hdr, f, size)
	return deliverError(err)
}

// deliverError maps a delivery error to its exit code.
func deliverError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNoUser):
		return exitCodeError{exNoUser, err}
	case errors.Is(err, store.ErrTooBig):
		return exitCodeError{exDataErr, fmt.Errorf("message too big: %w", err)}
	}
	return exitCodeError{exTempFail, err}
}

// ensureMailbox creates name in user's account unless it exists.
func ensureMailbox(ctx context.Context, st store.Store, user, name string) error {
	a, err := st.OpenAccount(ctx, user)
	if err != nil {
		return err
	}
	defer a.Close()
	if _, err := a.Status(ctx, name); err == nil {
		return nil
	}
	if err := a.CreateMailbox(ctx, name, nil); err != nil && !errors.Is(err, store.ErrMailboxExists) {
		return fmt.Errorf("cannot create mailbox %q: %w", name, err)
	}
	if _, err := a.Status(ctx, name); err != nil {
		return fmt.Errorf("cannot create mailbox %q: %w", name, err)
	}
	return nil
}
