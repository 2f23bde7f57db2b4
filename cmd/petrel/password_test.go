package main

import (
	"strings"
	"testing"

	"petrel.dev/petrel/internal/auth"
)

func TestReadPassword(t *testing.T) {
	maxPw := strings.Repeat("p", auth.MaxPasswordLen)
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"secret\n", "secret", true},
		{"secret", "secret", true},
		{"secret\r\n", "secret", true},
		{"two words\nsecond line\n", "two words", true},
		{"ünïcode\n", "ünïcode", true},
		{maxPw + "\r\n", maxPw, true},
		{maxPw + "p\n", "", false},
		{maxPw + strings.Repeat("p", 5000), "", false},
		{"", "", false},
		{"\n", "", false},
		{"\r\n", "", false},
		{"a\rb\n", "", false},
		{"a\x00b\n", "", false},
		{"\xff\xfe\n", "", false},
	}
	for _, tt := range tests {
		got, err := readPassword(strings.NewReader(tt.in))
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("readPassword(%.20q) = %.20q, %v; want %.20q, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestGeneratePassword(t *testing.T) {
	seen := map[string]bool{}
	for range 50 {
		p := generatePassword()
		if len(p) != generatedLen || strings.Trim(p, passwordAlphabet) != "" {
			t.Fatalf("generated %q", p)
		}
		if seen[p] {
			t.Fatalf("generated %q twice", p)
		}
		seen[p] = true
	}
}
