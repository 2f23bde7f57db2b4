package auth

import (
	"errors"
	"strings"
	"testing"
)

func TestDecodePlain(t *testing.T) {
	long := strings.Repeat("p", maxPlainField)
	tests := []struct {
		in                string
		authz, user, pass string
		ok                bool
	}{
		{"\x00tim\x00tanstaaftanstaaf", "", "tim", "tanstaaftanstaaf", true}, // RFC 4616 §4 example
		{"Ursel\x00Kurt\x00xipj3plmq", "Ursel", "Kurt", "xipj3plmq", true},   // RFC 4616 §4 example
		{"\x00u\x00" + long, "", "u", long, true},
		{"\x00u\x00" + long + "p", "", "", "", false},
		{"\x00u\x00pass word", "", "u", "pass word", true},
		{"\x00ü\x00ß", "", "ü", "ß", true},
		{"", "", "", "", false},
		{"\x00tim", "", "", "", false},
		{"tim\x00pw", "", "", "", false},
		{"\x00\x00pw", "", "", "", false},
		{"\x00tim\x00", "", "", "", false},
		{"a\x00tim\x00pw\x00", "", "", "", false},
		{"\x00tim\x00p\xffw", "", "", "", false},
		{"\xc0\x00tim\x00pw", "", "", "", false},
		{strings.Repeat("x", 4000), "", "", "", false},
	}
	for _, tt := range tests {
		authz, user, pass, err := DecodePlain([]byte(tt.in))
		if (err == nil) != tt.ok || authz != tt.authz || user != tt.user || pass != tt.pass {
			t.Errorf("DecodePlain(%q) = %q, %q, %q, %v; want %q, %q, %q, ok=%v",
				tt.in, authz, user, pass, err, tt.authz, tt.user, tt.pass, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrPlainSyntax) {
			t.Errorf("DecodePlain(%q) error %v does not wrap ErrPlainSyntax", tt.in, err)
		}
	}
}
