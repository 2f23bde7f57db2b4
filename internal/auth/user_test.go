package auth

import (
	"strings"
	"testing"
)

func TestNormalizeUser(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"alice", "alice", true},
		{"Alice", "alice", true},
		{"ALICE@Example.COM", "alice@example.com", true},
		{"a.b_c-d+e@f", "a.b_c-d+e@f", true},
		{"0", "0", true},
		{strings.Repeat("a", 64), strings.Repeat("a", 64), true},
		{strings.Repeat("a", 65), "", false},
		{"", "", false},
		{".alice", "", false},
		{"al..ice", "", false},
		{"alice.", "alice.", true},
		{"al ice", "", false},
		{"al/ice", "", false},
		{"al\x00ice", "", false},
		{"ålice", "", false},
		{"\u212aelvin", "", false}, // KELVIN SIGN must not become 'k'
		{"a*", "", false},
		{"a%b", "", false},
	}
	for _, tt := range tests {
		got, err := NormalizeUser(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("NormalizeUser(%q) = %q, %v; want %q, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}
