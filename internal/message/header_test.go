package message

import (
	"reflect"
	"testing"
)

// The space between the two encoded-words of the second Subject is
// dropped when decoding (RFC 2047 §6.2).
const testHeader = "Subject: Hello\r\n" +
	"X-Folded: one\r\n two\r\n\tthree\r\n" +
	"to: a@b\r\n" +
	"From: =?utf-8?q?J=C3=B6rg?= <j@x>\r\n" +
	"Subject: =?iso-8859-1?q?caf=E9?= =?utf-8?b?w6k=?=\r\n" +
	"\r\n"

func TestHeaderFields(t *testing.T) {
	tests := []struct {
		names []string
		not   bool
		want  string
	}{
		{[]string{"subject"}, false, "Subject: Hello\r\nSubject: =?iso-8859-1?q?caf=E9?= =?utf-8?b?w6k=?=\r\n\r\n"},
		{[]string{"X-FOLDED", "To"}, false, "X-Folded: one\r\n two\r\n\tthree\r\nto: a@b\r\n\r\n"},
		{[]string{"Subject", "From", "x-folded"}, true, "to: a@b\r\n\r\n"},
		{[]string{"Nope"}, false, "\r\n"},
		{nil, true, testHeader},
	}
	for _, tt := range tests {
		if got := string(HeaderFields([]byte(testHeader), tt.names, tt.not)); got != tt.want {
			t.Errorf("%v not=%v: got %q, want %q", tt.names, tt.not, got, tt.want)
		}
	}
	// Bare LF lines are copied as they are; a header without its blank
	// line still ends with one.
	if got := string(HeaderFields([]byte("A: 1\nB: 2"), []string{"a", "b"}, false)); got != "A: 1\nB: 2\r\n\r\n" {
		t.Errorf("LF header: %q", got)
	}
}

func TestHeaderValues(t *testing.T) {
	if got, want := HeaderValues([]byte(testHeader), "SUBJECT"), []string{"Hello", "caféé"}; !reflect.DeepEqual(got, want) {
		t.Errorf("subject: %q, want %q", got, want)
	}
	if got, want := HeaderValues([]byte(testHeader), "x-folded"), []string{"one two\tthree"}; !reflect.DeepEqual(got, want) {
		t.Errorf("folded: %q, want %q", got, want)
	}
	if got := HeaderValues([]byte(testHeader), "cc"); got != nil {
		t.Errorf("absent: %q", got)
	}
}

func TestSearchHeader(t *testing.T) {
	want := "Subject: Hello\nX-Folded: one two\tthree\nto: a@b\nFrom: Jörg <j@x>\nSubject: caféé\n"
	if got := SearchHeader([]byte(testHeader)); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestSearchHeaderLimit(t *testing.T) {
	big := []byte("A: " + string(make([]byte, maxSearchHeader)) + "\r\nLate: x\r\n\r\n")
	if got := HeaderValues(big, "late"); got != nil {
		t.Errorf("field past the limit found: %q", got)
	}
	if got := SearchHeader(big); len(got) > maxSearchHeader+16 {
		t.Errorf("search header %d bytes", len(got))
	}
}
