package lmtp

import (
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestLocalMessage(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Subject: x\n\nbody\n", "Subject: x\r\n\r\nbody\r\n"},
		{"Subject: x\r\n\r\nbody\r\n", "Subject: x\r\n\r\nbody\r\n"},
		{"From alice@example.com  Thu Nov 26 01:00:00 2026\nSubject: x\n\nb", "Subject: x\r\n\r\nb"},
		{"From: alice@example.com\n\nb\n", "From: alice@example.com\r\n\r\nb\r\n"},
		{"Subject: x\n\nFrom here\nmixed\r\nends\n", "Subject: x\r\n\r\nFrom here\r\nmixed\r\nends\r\n"},
		{"a\r\r\nb\n\n", "a\r\r\nb\r\n\r\n"},
		{"", ""},
		{"From ", "From "},
		{"From " + strings.Repeat("x", 2000) + "\nS: y\n", "From " + strings.Repeat("x", 2000) + "\r\nS: y\r\n"},
	}
	for _, tt := range tests {
		got, err := io.ReadAll(LocalMessage(strings.NewReader(tt.in)))
		if err != nil || string(got) != tt.want {
			t.Errorf("LocalMessage(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
		// One byte at a time gives the same result.
		got, err = io.ReadAll(iotest.OneByteReader(LocalMessage(&trickle{strings.NewReader(tt.in)})))
		if err != nil || string(got) != tt.want {
			t.Errorf("LocalMessage(%q) byte by byte = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if _, err := io.ReadAll(LocalMessage(iotest.ErrReader(io.ErrUnexpectedEOF))); err != io.ErrUnexpectedEOF {
		t.Errorf("error not passed on: %v", err)
	}
}

// trickle returns at most 3 bytes per Read.
type trickle struct{ r io.Reader }

func (t *trickle) Read(p []byte) (int, error) { return t.r.Read(p[:min(len(p), 3)]) }
