package auth

import (
	"errors"
	"strings"
	"testing"
)

func TestSASLprep(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		// RFC 4013 §3 examples.
		{"I\u00ADX", "IX", true},
		{"user", "user", true},
		{"USER", "USER", true},
		{"\u00AA", "a", true},
		{"\u2168", "IX", true},
		{"\u0007", "", false},
		{"\u0627\u0031", "", false},
		// Mapping: non-ASCII spaces become SPACE, B.1 characters vanish.
		{"a\u00A0b", "a b", true},
		{"a\u3000b\u2003c", "a b c", true},
		{"a\u200Bb", "ab", true}, // in B.1 and C.1.2: mapped to nothing
		{"pa\uFE0Fss\u200Dword", "password", true},
		{"\u00AD", "", false}, // empty after mapping
		{"", "", false},
		// NFKC.
		{"\uFB01", "fi", true},
		{"e\u0301", "\u00E9", true},
		{"\uFF21", "A", true},
		// Prohibited output.
		{"a\u0085b", "", false},     // C.2.2
		{"a\u2028b", "", false},     // C.2.2
		{"a\uE000b", "", false},     // C.3 private use
		{"a\U0010FFFDb", "", false}, // C.3
		{"a\uFDD0b", "", false},     // C.4
		{"a\U0002FFFEb", "", false}, // C.4
		{"a\uFFFDb", "", false},     // C.6
		{"a\u2FF0b", "", false},     // C.7
		{"a\u200Eb", "", false},     // C.8
		{"a\U000E0041b", "", false}, // C.9
		{"a\x7Fb", "", false},       // C.2.1
		{"tab\there", "", false},    // C.2.1
		// Unassigned code points (stored strings).
		{"a\U000E0080b", "", false},
		{"a\u0378b", "", false},
		// Bidirectional rules (RFC 3454 §6).
		{"\u0627\u0628", "\u0627\u0628", true},
		{"\u0627 1 \u0628", "\u0627 1 \u0628", true},
		{"1\u0627", "", false},
		{"\u0627a\u0628", "", false},
		{"\u05D0\u05D1", "\u05D0\u05D1", true},
		// Not UTF-8.
		{"a\xffb", "", false},
		{strings.Repeat("é", maxSASLprepInput), "", false},
		// Ordinary passwords.
		{"correct horse", "correct horse", true},
		{"Grüße", "Grüße", true},
		{"пароль", "пароль", true},
	}
	for _, tt := range tests {
		got, err := SASLprep(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("SASLprep(%+q) = %+q, %v; want %+q, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrSASLprep) {
			t.Errorf("SASLprep(%+q) error %v does not wrap ErrSASLprep", tt.in, err)
		}
	}
}

func FuzzSASLprep(f *testing.F) {
	for _, s := range []string{"user", "I\u00ADX", "\u0627\u0031", "\uFB01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := SASLprep(s)
		if err != nil {
			return
		}
		// The output is stable: preparing it again changes nothing.
		again, err := SASLprep(out)
		if err != nil || again != out {
			t.Fatalf("SASLprep(%+q) = %+q, but SASLprep of that = %+q, %v", s, out, again, err)
		}
	})
}
