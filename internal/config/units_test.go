package config

import (
	"strings"
	"testing"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want Size
		ok   bool
	}{
		{"0", 0, true},
		{"65536", 65536, true},
		{"64K", 64 << 10, true},
		{"64k", 64 << 10, true},
		{"64KB", 64 << 10, true},
		{"64KiB", 64 << 10, true},
		{"64M", 64 << 20, true},
		{"1G", 1 << 30, true},
		{"2T", 2 << 40, true},
		{" 8 M ", 8 << 20, true},
		{"10B", 10, true},
		{"", 0, false},
		{"M", 0, false},
		{"-1", 0, false},
		{"1.5G", 0, false},
		{"64X", 0, false},
		{"64iB", 0, false},
		{"64KK", 0, false},
		{"9999999999T", 0, false},
		{strings.Repeat("1", 40), 0, false},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestSizeString(t *testing.T) {
	tests := map[Size]string{0: "0", 1000: "1000", 1024: "1K", 64 << 20: "64M", 3 << 30: "3G", 1 << 40: "1024G", 1536: "1536"}
	for s, want := range tests {
		if got := s.String(); got != want {
			t.Errorf("Size(%d).String() = %q, want %q", int64(s), got, want)
		}
		if back, err := ParseSize(want); err != nil || back != s {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", want, back, err, int64(s))
		}
	}
}
