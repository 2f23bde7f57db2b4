package message

import "testing"

func TestDecodeWords(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"=?UTF-8?B?w6k=?=", "é"},
		{"=?utf-8?q?a_b?= =?utf-8?q?c?=", "a bc"},
		{"x =?utf-8?q?a?= y", "x a y"},
		{"=?iso-8859-1*fr?q?=E9?=", "é"},
		{"=?windows-1252?q?=80?=", "€"},
		{"=?unknown-x?q?ab?=", "ab"},
		{"=?utf-8?x?bad?=", "=?utf-8?x?bad?="},
		{"=?utf-8?q?unterminated", "=?utf-8?q?unterminated"},
		{"=?utf-8?b?!!!?=", "=?utf-8?b?!!!?="},
		{"a=?utf-8?q?b?=c", "abc"},
	}
	for _, tt := range tests {
		if got := DecodeWords(tt.in); got != tt.want {
			t.Errorf("DecodeWords(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
