package imapserver

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"time"

	"petrel.dev/petrel/internal/auth"
	"petrel.dev/petrel/internal/imap"
	"petrel.dev/petrel/internal/store"
)

// cmdStartTLS implements RFC 9051 §6.2.1.
func (s *session) cmdStartTLS(cmd *imap.Command) error {
	if s.tls || s.srv.opts.TLS == nil {
		return respBad("", "TLS is not available on this connection")
	}
	// Anything the client pipelined after STARTTLS would be read as if it
	// came over TLS (the CVE-2011-0411 class of injection): refuse.
	if s.br.Buffered() > 0 {
		s.writeStatus(cmd.Tag, "BAD", "", "Data after STARTTLS")
		s.enc.Flush()
		return errFatal
	}
	s.writeStatus(cmd.Tag, "OK", "", "Begin TLS negotiation now")
	if s.enc.Flush() != nil {
		return errFatal
	}
	tc := tls.Server(s.conn, s.srv.opts.TLS)
	tc.SetDeadline(time.Now().Add(s.srv.opts.AuthTimeout))
	if err := tc.HandshakeContext(s.ctx); err != nil {
		s.log.Debug("starttls handshake", "err", err)
		return errFatal
	}
	tc.SetDeadline(time.Time{})
	s.conn = tc
	s.tls = true
	s.setupIO()
	// The tagged response has been written already.
	return errAlreadyAnswered
}

// errAlreadyAnswered tells execute that the handler wrote its tagged
// response itself.
var errAlreadyAnswered = errors.New("answered")

// cmdLogin implements RFC 9051 §6.2.3.
func (s *session) cmdLogin(cmd *imap.Command) error {
	args := cmd.Args.(*imap.LoginArgs)
	if !s.plaintextAllowed() {
		return respNo("PRIVACYREQUIRED", "LOGIN is disabled until TLS is active (use STARTTLS or port 993)")
	}
	return s.login(args.User, args.Password)
}

// cmdAuthenticate implements RFC 9051 §6.2.2 with SASL PLAIN (RFC 4616)
// and the initial response of RFC 4959.
func (s *session) cmdAuthenticate(cmd *imap.Command) error {
	args := cmd.Args.(*imap.AuthenticateArgs)
	if args.Mechanism != "PLAIN" {
		return respNo("", "Unsupported authentication mechanism")
	}
	if !s.plaintextAllowed() {
		return respNo("PRIVACYREQUIRED", "PLAIN is disabled until TLS is active (use STARTTLS or port 993)")
	}
	resp := args.InitialResponse
	if !args.HasIR {
		if err := s.continuation(""); err != nil {
			return errFatal
		}
		line, err := s.dec.ReadLine()
		if err != nil {
			return s.lineError(err)
		}
		if line == "*" {
			return respBad("", "Authentication canceled")
		}
		resp, err = base64.StdEncoding.Strict().DecodeString(line)
		if err != nil {
			return respBad("", "Invalid base64 in SASL response")
		}
	}
	authz, user, pass, err := auth.DecodePlain(resp)
	if err != nil {
		return respBad("", "Invalid PLAIN response")
	}
	if authz != "" && authz != user {
		return respNo("AUTHORIZATIONFAILED", "Authorization identity must match")
	}
	return s.login(user, pass)
}

// lineError converts a ReadLine failure into the session's answer.
func (s *session) lineError(err error) error {
	var sr *statusResp
	if errors.As(err, &sr) {
		return sr
	}
	if we, ok := asWireError(err); ok && !we.Fatal {
		return respBad(we.Code, we.Text)
	}
	return errFatal
}

func (s *session) login(user, pass string) error {
	name, err := auth.NormalizeUser(user)
	if err != nil {
		// Same answer and same delay as a wrong password.
		name = user
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.srv.opts.AuthTimeout)
	defer cancel()
	if err := s.srv.opts.Auth.Authenticate(ctx, name, pass, s.remote); err != nil {
		if errors.Is(err, auth.ErrFailed) {
			return respNo("AUTHENTICATIONFAILED", "Invalid credentials")
		}
		return respNo("UNAVAILABLE", "Authentication is temporarily unavailable")
	}
	acct, err := s.srv.opts.Store.OpenAccount(ctx, name)
	if err != nil {
		if errors.Is(err, store.ErrNoUser) {
			return respNo("AUTHENTICATIONFAILED", "Invalid credentials")
		}
		return err
	}
	s.acct = acct
	s.user = name
	s.state = stateAuth
	s.log = s.log.With("user", name)
	s.log.Info("login")
	return respOK("CAPABILITY "+s.capabilities(), "Logged in")
}
