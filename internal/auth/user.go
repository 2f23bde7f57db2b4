package auth

import (
	"errors"
	"fmt"
	"strings"
)

// MaxUserLen is the longest user name, in bytes.
const MaxUserLen = 64

// NormalizeUser returns the canonical form of a user name: ASCII letters
// are lower-cased, and the result must be 1 to MaxUserLen bytes of
// [a-z0-9._@+-], must not start with '.' and must not contain "..". The
// CLI and the login commands both call it, so that "Alice" and "alice"
// are the same account.
//
// Only ASCII is lower-cased: full Unicode case mapping would let distinct
// characters (such as U+212A KELVIN SIGN) alias ASCII names.
func NormalizeUser(name string) (string, error) {
	if name == "" {
		return "", errors.New("user name is empty")
	}
	if len(name) > MaxUserLen {
		return "", fmt.Errorf("user name longer than %d bytes", MaxUserLen)
	}
	b := []byte(name)
	for i, c := range b {
		switch {
		case 'A' <= c && c <= 'Z':
			b[i] = c + 'a' - 'A'
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case c == '.', c == '_', c == '-', c == '@', c == '+':
		default:
			return "", fmt.Errorf("user name contains %q: allowed are a-z 0-9 . _ - @ +", rune(c))
		}
	}
	n := string(b)
	if n[0] == '.' {
		return "", errors.New("user name starts with '.'")
	}
	if strings.Contains(n, "..") {
		return "", errors.New("user name contains \"..\"")
	}
	return n, nil
}
