package auth

// SASLprep (RFC 4013) is the stringprep (RFC 3454) profile for user names
// and passwords. SCRAM (RFC 5802 §2.2) hashes Normalize(password), which
// is SASLprep with the password treated as a stored string.
//
// Implementation notes:
//   - The tables of RFC 3454 that SASLprep uses are small ranges and are
//     copied below. The large ones — bidirectional categories (D.1, D.2)
//     and unassigned code points (A.1) — come from the Unicode tables of
//     golang.org/x/text and the standard library, which follow a newer
//     Unicode version than 3.2: a code point assigned since 3.2 is
//     accepted here although a strict stored-string check would refuse it.
//     NFKC (RFC 3454 §4) likewise uses x/text's current Unicode version.
//   - U+200B ZERO WIDTH SPACE is in both B.1 (mapped to nothing) and C.1.2
//     (mapped to SPACE); like Python's and most other implementations it
//     is mapped to nothing.

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/bidi"
	"golang.org/x/text/unicode/norm"
)

// ErrSASLprep is wrapped by the errors of SASLprep.
var ErrSASLprep = errors.New("auth: string not allowed by SASLprep")

// maxSASLprepInput bounds SASLprep's input in bytes; NFKC may expand a
// string, so its output is bounded by norm's own stream-safe limits.
const maxSASLprepInput = 4 * MaxPasswordLen

// runeRange is an inclusive range of code points.
type runeRange struct{ lo, hi rune }

func inRanges(r rune, t []runeRange) bool {
	for _, rr := range t {
		if rr.lo <= r && r <= rr.hi {
			return true
		}
	}
	return false
}

// RFC 3454 Appendix B.1: commonly mapped to nothing.
var tableB1 = []runeRange{
	{0x00AD, 0x00AD}, {0x034F, 0x034F}, {0x1806, 0x1806}, {0x180B, 0x180D},
	{0x200B, 0x200D}, {0x2060, 0x2060}, {0xFE00, 0xFE0F}, {0xFEFF, 0xFEFF},
}

// RFC 3454 Appendix C.1.2: non-ASCII space characters.
var tableC12 = []runeRange{
	{0x00A0, 0x00A0}, {0x1680, 0x1680}, {0x2000, 0x200B}, {0x202F, 0x202F},
	{0x205F, 0x205F}, {0x3000, 0x3000},
}

// RFC 4013 §2.3: prohibited output, RFC 3454 tables C.1.2 and C.2.1 to
// C.9 (C.4's non-characters U+nFFFE and U+nFFFF are tested separately).
var prohibited = []runeRange{
	// C.1.2
	{0x00A0, 0x00A0}, {0x1680, 0x1680}, {0x2000, 0x200B}, {0x202F, 0x202F},
	{0x205F, 0x205F}, {0x3000, 0x3000},
	// C.2.1
	{0x0000, 0x001F}, {0x007F, 0x007F},
	// C.2.2
	{0x0080, 0x009F}, {0x06DD, 0x06DD}, {0x070F, 0x070F}, {0x180E, 0x180E},
	{0x200C, 0x200D}, {0x2028, 0x2029}, {0x2060, 0x2063}, {0x206A, 0x206F},
	{0xFEFF, 0xFEFF}, {0xFFF9, 0xFFFC}, {0x1D173, 0x1D17A},
	// C.3
	{0xE000, 0xF8FF}, {0xF0000, 0xFFFFD}, {0x100000, 0x10FFFD},
	// C.4 (first part)
	{0xFDD0, 0xFDEF},
	// C.5
	{0xD800, 0xDFFF},
	// C.6
	{0xFFF9, 0xFFFD},
	// C.7
	{0x2FF0, 0x2FFB},
	// C.8
	{0x0340, 0x0341}, {0x200E, 0x200F}, {0x202A, 0x202E}, {0x206A, 0x206F},
	// C.9
	{0xE0001, 0xE0001}, {0xE0020, 0xE007F},
}

// SASLprep prepares s with the SASLprep profile (RFC 4013) as a stored
// string (RFC 3454 §7: unassigned code points are refused). It returns an
// error wrapping ErrSASLprep for invalid UTF-8, a prohibited character, a
// failed bidirectional check, or an empty result.
func SASLprep(s string) (string, error) {
	if len(s) > maxSASLprepInput {
		return "", fmt.Errorf("%w: longer than %d bytes", ErrSASLprep, maxSASLprepInput)
	}
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("%w: invalid UTF-8", ErrSASLprep)
	}
	// Fast path: printable ASCII is unchanged by every step.
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7E {
			ascii = false
			break
		}
	}
	if ascii {
		if s == "" {
			return "", fmt.Errorf("%w: empty", ErrSASLprep)
		}
		return s, nil
	}

	// RFC 4013 §2.1: mapping. B.1 goes first (see the notes above).
	var b strings.Builder
	for _, r := range s {
		switch {
		case inRanges(r, tableB1):
		case inRanges(r, tableC12):
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	// RFC 4013 §2.2: NFKC.
	out := norm.NFKC.String(b.String())
	if out == "" {
		return "", fmt.Errorf("%w: empty after mapping", ErrSASLprep)
	}

	// RFC 4013 §2.3 and §2.5, RFC 3454 §6.
	var hasRandAL, hasL bool
	first, _ := utf8.DecodeRuneInString(out)
	last, _ := utf8.DecodeLastRuneInString(out)
	for _, r := range out {
		if inRanges(r, prohibited) || r&0xFFFE == 0xFFFE {
			return "", fmt.Errorf("%w: prohibited character %U", ErrSASLprep, r)
		}
		if !isAssigned(r) {
			return "", fmt.Errorf("%w: unassigned code point %U", ErrSASLprep, r)
		}
		switch bidiClass(r) {
		case bidi.R, bidi.AL:
			hasRandAL = true
		case bidi.L:
			hasL = true
		}
	}
	// RFC 3454 §6: a string with RandALCat characters must not contain
	// LCat ones, and must start and end with a RandALCat character.
	if hasRandAL {
		if hasL {
			return "", fmt.Errorf("%w: mixes right-to-left and left-to-right characters", ErrSASLprep)
		}
		if c := bidiClass(first); c != bidi.R && c != bidi.AL {
			return "", fmt.Errorf("%w: right-to-left string does not start with a right-to-left character", ErrSASLprep)
		}
		if c := bidiClass(last); c != bidi.R && c != bidi.AL {
			return "", fmt.Errorf("%w: right-to-left string does not end with a right-to-left character", ErrSASLprep)
		}
	}
	return out, nil
}

// isAssigned reports whether r is an assigned code point (RFC 3454 A.1 is
// the list of those unassigned in Unicode 3.2; see the notes above).
// Private use and surrogates are refused earlier as prohibited.
func isAssigned(r rune) bool {
	return unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs)
}

// bidiClass returns r's bidirectional class.
func bidiClass(r rune) bidi.Class {
	p, _ := bidi.LookupRune(r)
	return p.Class()
}
