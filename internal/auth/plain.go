package auth

import (
	"bytes"
	"errors"
	"fmt"
	"unicode/utf8"
)

// maxPlainField bounds each field of a PLAIN message. RFC 4616 §2 asks
// for at least 255 octets; passwords may be up to MaxPasswordLen.
const maxPlainField = MaxPasswordLen

// ErrPlainSyntax is returned by DecodePlain for a malformed message.
var ErrPlainSyntax = errors.New("auth: malformed PLAIN message")

func plainErr(why string) error { return fmt.Errorf("%w: %s", ErrPlainSyntax, why) }

// DecodePlain splits a SASL PLAIN client message (already base64-decoded)
// into its parts. RFC 4616 §2:
//
//	message = [authzid] UTF8NUL authcid UTF8NUL passwd
//
// authzid may be empty (the client asks to act as itself); authcid and
// passwd must not be. Each field must be valid UTF-8 without NUL and at
// most 1024 bytes.
func DecodePlain(resp []byte) (authzid, user, pass string, err error) {
	if len(resp) > 3*maxPlainField+2 {
		return "", "", "", plainErr("message too long")
	}
	parts := bytes.Split(resp, []byte{0})
	if len(parts) != 3 {
		return "", "", "", plainErr("want exactly two NUL separators")
	}
	for i, p := range parts {
		if len(p) == 0 && i > 0 {
			return "", "", "", plainErr("empty user or password")
		}
		if len(p) > maxPlainField {
			return "", "", "", plainErr("field too long")
		}
		if !utf8.Valid(p) {
			return "", "", "", plainErr("invalid UTF-8")
		}
	}
	return string(parts[0]), string(parts[1]), string(parts[2]), nil
}
