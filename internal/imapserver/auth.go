package imapserver

import (
	"context"
	"crypto/tls"
	"crypto/x509"
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

// cmdAuthenticate implements RFC 9051 §6.2.2 with the SASL mechanisms
// PLAIN (RFC 4616), LOGIN (draft-murchison-sasl-login), SCRAM-SHA-256 and
// SCRAM-SHA-256-PLUS (RFC 5802, RFC 7677; channel binding per RFC 9266
// and RFC 5929), and the initial response of RFC 4959. PLAIN and LOGIN
// send the password itself and follow plaintextAllowed; SCRAM does not
// and is offered everywhere, its -PLUS variant on TLS only.
func (s *session) cmdAuthenticate(cmd *imap.Command) error {
	args := cmd.Args.(*imap.AuthenticateArgs)
	switch args.Mechanism {
	case "PLAIN":
		return s.authPlain(args)
	case auth.MechLogin:
		return s.authLogin(args)
	case auth.MechSCRAMSHA256:
		return s.authSCRAM(args, false)
	case auth.MechSCRAMSHA256Plus:
		if !s.tls {
			return respNo("", "SCRAM-SHA-256-PLUS needs TLS")
		}
		return s.authSCRAM(args, true)
	default:
		return respNo("", "Unsupported authentication mechanism")
	}
}

func (s *session) authPlain(args *imap.AuthenticateArgs) error {
	if !s.plaintextAllowed() {
		return respNo("PRIVACYREQUIRED", "PLAIN is disabled until TLS is active (use STARTTLS or port 993)")
	}
	resp, err := s.saslInitial(args)
	if err != nil {
		return err
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

// authLogin runs the LOGIN mechanism: the user name (or the initial
// response), then the password, each after its prompt.
func (s *session) authLogin(args *imap.AuthenticateArgs) error {
	if !s.plaintextAllowed() {
		return respNo("PRIVACYREQUIRED", "LOGIN is disabled until TLS is active (use STARTTLS or port 993)")
	}
	userB := args.InitialResponse
	if !args.HasIR {
		var err error
		if userB, err = s.saslStep([]byte(auth.LoginUserPrompt)); err != nil {
			return err
		}
	}
	user, err := auth.CheckLoginField(userB)
	if err != nil {
		return respBad("", "Invalid LOGIN user name")
	}
	passB, err := s.saslStep([]byte(auth.LoginPasswordPrompt))
	if err != nil {
		return err
	}
	pass, err := auth.CheckLoginField(passB)
	if err != nil {
		return respBad("", "Invalid LOGIN password")
	}
	return s.login(user, pass)
}

// authSCRAM runs SCRAM-SHA-256, or SCRAM-SHA-256-PLUS if plus is set.
// RFC 9051 has no field for additional data with success, so the
// server-final-message goes in a continuation that the client answers
// with an empty line (RFC 4422 §4, item 5).
func (s *session) authSCRAM(args *imap.AuthenticateArgs, plus bool) error {
	var cb auth.ChannelBindings
	if s.tls {
		cb = s.channelBindings()
	}
	x := s.srv.opts.Auth.NewSCRAM(s.remote, plus, cb)
	ctx, cancel := context.WithTimeout(s.ctx, s.srv.opts.AuthTimeout)
	defer cancel()
	msg, err := s.saslInitial(args)
	if err != nil {
		return err
	}
	for {
		out, done, err := x.Next(ctx, msg)
		switch {
		case errors.Is(err, auth.ErrFailed):
			return respNo("AUTHENTICATIONFAILED", "Invalid credentials")
		case errors.Is(err, auth.ErrSCRAMSyntax):
			return respBad("", "Invalid SCRAM message")
		case err != nil:
			s.log.Error("scram", "err", err)
			return respNo("UNAVAILABLE", "Authentication is temporarily unavailable")
		}
		if msg, err = s.saslStep(out); err != nil {
			return err
		}
		if done {
			if len(msg) != 0 {
				return respBad("", "Expected an empty response")
			}
			return s.loggedIn(ctx, x.User())
		}
	}
}

// channelBindings returns the channel bindings of the TLS connection.
//
// tls-server-end-point hashes the certificate the configuration serves
// now: crypto/tls does not tell the server which one it presented. After
// a certificate reload, connections made before it therefore fail that
// binding (and succeed with tls-exporter, the TLS 1.3 default).
func (s *session) channelBindings() auth.ChannelBindings {
	tc, ok := s.conn.(*tls.Conn)
	if !ok {
		return nil
	}
	cs := tc.ConnectionState()
	cfg := s.srv.opts.TLS
	var cert *tls.Certificate
	if cfg.GetCertificate != nil {
		cert, _ = cfg.GetCertificate(&tls.ClientHelloInfo{ServerName: cs.ServerName})
	} else if len(cfg.Certificates) > 0 {
		cert = &cfg.Certificates[0]
	}
	var leaf *x509.Certificate
	if cert != nil {
		leaf = cert.Leaf
		if leaf == nil && len(cert.Certificate) > 0 {
			leaf, _ = x509.ParseCertificate(cert.Certificate[0])
		}
	}
	return auth.TLSChannelBindings(cs, leaf)
}

// saslInitial returns the client's first SASL message: the initial
// response (RFC 4959) or the answer to an empty challenge.
func (s *session) saslInitial(args *imap.AuthenticateArgs) ([]byte, error) {
	if args.HasIR {
		return args.InitialResponse, nil
	}
	return s.saslStep(nil)
}

// saslStep sends challenge in a continuation request and returns the
// client's decoded answer. "*" cancels the exchange (RFC 9051 §6.2.2).
func (s *session) saslStep(challenge []byte) ([]byte, error) {
	if err := s.continuation(base64.StdEncoding.EncodeToString(challenge)); err != nil {
		return nil, errFatal
	}
	line, err := s.dec.ReadLine()
	if err != nil {
		return nil, s.lineError(err)
	}
	if line == "*" {
		return nil, respBad("", "Authentication canceled")
	}
	if line == "=" {
		// Some clients (go-imap among them) send an empty response as
		// "=", the RFC 4959 spelling for initial responses.
		line = ""
	}
	resp, err := base64.StdEncoding.Strict().DecodeString(line)
	if err != nil {
		return nil, respBad("", "Invalid base64 in SASL response")
	}
	return resp, nil
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
	return s.loggedIn(ctx, name)
}

// loggedIn opens the account of the authenticated user name and enters
// the authenticated state.
func (s *session) loggedIn(ctx context.Context, name string) error {
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
