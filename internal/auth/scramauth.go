package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/netip"

	"petrel.dev/petrel/internal/store"
)

// SCRAMExchange is the server side of one SCRAM-SHA-256 or
// SCRAM-SHA-256-PLUS exchange, backed by an Authenticator: the stored
// credentials come from its lookup, and a failed proof, an unknown user
// or a channel-binding mismatch is logged and delayed like a wrong
// password given to Authenticate. Not safe for concurrent use.
type SCRAMExchange struct {
	a      *Authenticator
	remote netip.Addr
	srv    scramServer

	given string           // the user name as sent, for logs
	name  string           // normalised; "" if invalid
	creds SCRAMCredentials // the user's, or made-up ones
	known bool             // creds are the user's real credentials
	why   string           // reason for the failure to come, when !known
	done  bool

	nonce func() string // server nonce; replaced by tests
}

// NewSCRAM starts a SCRAM exchange. plus selects SCRAM-SHA-256-PLUS; cb
// holds the channel bindings this connection offers (nil on cleartext).
// Per RFC 5802 §6 the server should advertise -PLUS exactly when cb is
// not empty.
func (a *Authenticator) NewSCRAM(remote netip.Addr, plus bool, cb ChannelBindings) *SCRAMExchange {
	return &SCRAMExchange{
		a:      a,
		remote: remote,
		srv:    scramServer{plus: plus, cb: cb},
		nonce:  newNonce,
	}
}

// newNonce returns 24 random base64 characters (144 bits).
func newNonce() string {
	b := make([]byte, 18)
	rand.Read(b) // never fails (crypto/rand since Go 1.24)
	return base64.StdEncoding.EncodeToString(b)
}

// User returns the authenticated, normalised user name once Next has
// returned done.
func (x *SCRAMExchange) User() string {
	if !x.done {
		return ""
	}
	return x.name
}

// Next takes the client's next message (base64-decoded) and returns the
// server's answer. After the client-first-message it returns the
// server-first-message; after the client-final-message it returns the
// server-final-message with done set: authentication succeeded, and the
// caller sends that message before reporting success.
//
// Errors: one wrapping ErrSCRAMSyntax for a malformed message (no delay:
// no password was tried); ErrFailed, after the failure delay, for a wrong
// proof, an unknown user, a user without SCRAM credentials, an authzid
// other than the user, or a channel-binding mismatch; anything else means
// the credentials could not be read.
func (x *SCRAMExchange) Next(ctx context.Context, msg []byte) (resp []byte, done bool, err error) {
	switch x.srv.step {
	case 0:
		return x.first(ctx, msg)
	case 2:
		return x.final(ctx, msg)
	default:
		return nil, false, errors.New("auth: SCRAM exchange is over")
	}
}

func (x *SCRAMExchange) first(ctx context.Context, msg []byte) ([]byte, bool, error) {
	cf, err := x.srv.handleClientFirst(msg)
	if errors.Is(err, errCBMismatch) {
		x.given = "?"
		x.srv.step = 3
		x.a.fail(ctx, x.given, "", err.Error(), x.remote)
		return nil, false, ErrFailed
	}
	if err != nil {
		x.srv.step = 3
		return nil, false, err
	}
	x.given = cf.user
	x.why = "unknown user"
	name, nameErr := NormalizeUser(cf.user)
	if nameErr == nil {
		x.name = name
		hash, err := x.a.lookup(ctx, name)
		switch {
		case err == nil:
			c, ok, perr := SCRAMFromHash(hash)
			switch {
			case perr != nil:
				x.a.log.Error("stored SCRAM credentials are unusable", "user", name, "err", perr)
				x.why = "unusable stored SCRAM credentials"
			case !ok:
				x.why = "no SCRAM credentials (password set before SCRAM support; set it again)"
			default:
				x.creds, x.known = c, true
			}
		case errors.Is(err, store.ErrNoUser):
		default:
			x.srv.step = 3
			return nil, false, fmt.Errorf("auth: look up user %q: %w", name, err)
		}
	} else {
		x.why = "invalid user name"
	}
	if cf.authzid != "" && cf.authzid != cf.user && cf.authzid != x.name {
		x.known, x.why = false, "authorization identity differs"
	}
	if !x.known {
		// Answer as for a real user (RFC 5802 §5.1 allows e=unknown-user
		// but that reveals which names exist): a salt that is stable per
		// name and keys no proof can match.
		x.creds = x.a.fakeSCRAM(x.given)
	}
	return x.srv.serverFirstMessage(x.nonce(), x.creds), false, nil
}

func (x *SCRAMExchange) final(ctx context.Context, msg []byte) ([]byte, bool, error) {
	resp, err := x.srv.handleClientFinal(msg, x.creds)
	switch {
	case err == nil && x.known:
		x.done = true
		x.a.users.reset(x.name)
		x.a.log.Debug("authenticated", "user", x.name, "remote", x.remote, "mechanism", "SCRAM")
		return resp, true, nil
	case err == nil, errors.Is(err, errBadProof):
		why := x.why
		if x.known {
			why = "wrong password"
		}
		x.a.fail(ctx, x.given, x.name, why, x.remote)
		return nil, false, ErrFailed
	case errors.Is(err, errCBMismatch):
		x.a.fail(ctx, x.given, x.name, err.Error(), x.remote)
		return nil, false, ErrFailed
	default:
		return nil, false, err
	}
}

// fakeSCRAM returns credentials for a user who has none: the salt is an
// HMAC of the name under the per-process key, so that repeated attempts
// see the same salt, and the keys are random.
func (a *Authenticator) fakeSCRAM(name string) SCRAMCredentials {
	c := SCRAMCredentials{
		Iterations: SCRAMIterations,
		Salt:       hmacSHA256(a.cacheKey, []byte("scram-salt\x00"+name))[:scramSaltLen],
		StoredKey:  make([]byte, 32),
		ServerKey:  make([]byte, 32),
	}
	rand.Read(c.StoredKey)
	rand.Read(c.ServerKey)
	return c
}
