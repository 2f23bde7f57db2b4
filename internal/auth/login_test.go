package auth

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func TestLoginPrompts(t *testing.T) {
	// draft-murchison-sasl-login §2: the prompts as Outlook expects them.
	if got := base64.StdEncoding.EncodeToString([]byte(LoginUserPrompt)); got != "VXNlcm5hbWU6" {
		t.Errorf("user prompt %q", got)
	}
	if got := base64.StdEncoding.EncodeToString([]byte(LoginPasswordPrompt)); got != "UGFzc3dvcmQ6" {
		t.Errorf("password prompt %q", got)
	}
}

func TestCheckLoginField(t *testing.T) {
	for _, tt := range []struct {
		in string
		ok bool
	}{
		{"tim", true},
		{"pass word ü", true},
		{"", false},
		{"a\x00b", false},
		{"a\xffb", false},
		{strings.Repeat("x", MaxPasswordLen), true},
		{strings.Repeat("x", MaxPasswordLen+1), false},
	} {
		got, err := CheckLoginField([]byte(tt.in))
		if (err == nil) != tt.ok || tt.ok && got != tt.in {
			t.Errorf("CheckLoginField(%q) = %q, %v", tt.in, got, err)
		}
		if err != nil && !errors.Is(err, ErrPlainSyntax) {
			t.Errorf("error %v does not wrap ErrPlainSyntax", err)
		}
	}
}
