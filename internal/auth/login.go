package auth

// The LOGIN SASL mechanism (draft-murchison-sasl-login) is obsolete but
// is what Outlook and some other clients offer. The server prompts for
// the user name and then the password, and each answer is one base64
// line:
//
//	S: + VXNlcm5hbWU6            ("Username:")
//	C: dGlt                      ("tim")
//	S: + UGFzc3dvcmQ6            ("Password:")
//	C: dGFuc3RhYWZ0YW5zdGFhZg==  ("tanstaaftanstaaf")
//
// A client may send the user name as an initial response (RFC 4959),
// skipping the first prompt. The password then goes to
// Authenticator.Authenticate like PLAIN's.

import (
	"fmt"
	"unicode/utf8"
)

// MechLogin is the LOGIN mechanism's name.
const MechLogin = "LOGIN"

// The LOGIN prompts, sent base64-encoded as server challenges.
const (
	LoginUserPrompt     = "Username:"
	LoginPasswordPrompt = "Password:"
)

// CheckLoginField validates one LOGIN answer (user name or password):
// valid UTF-8 without NUL, 1 to MaxPasswordLen bytes.
func CheckLoginField(b []byte) (string, error) {
	if len(b) == 0 {
		return "", fmt.Errorf("%w: empty LOGIN field", ErrPlainSyntax)
	}
	if len(b) > MaxPasswordLen {
		return "", fmt.Errorf("%w: LOGIN field too long", ErrPlainSyntax)
	}
	if !utf8.Valid(b) {
		return "", fmt.Errorf("%w: invalid UTF-8 in LOGIN field", ErrPlainSyntax)
	}
	for _, c := range b {
		if c == 0 {
			return "", fmt.Errorf("%w: NUL in LOGIN field", ErrPlainSyntax)
		}
	}
	return string(b), nil
}
