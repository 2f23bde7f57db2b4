package message

import "testing"

func TestFold(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"Hello, World", "HELLO, WORLD"},
		{"café", "CAFE\u0301"},
		{"\u212b", "A\u030a"}, // ANGSTROM SIGN: NFKD of its titlecase
		{"a\xffb", "A\xffB"},
	}
	for _, tt := range tests {
		if got := Fold(tt.in); got != tt.want {
			t.Errorf("Fold(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
