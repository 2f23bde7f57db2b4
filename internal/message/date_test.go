package message

import (
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	tests := []struct {
		in   string
		want string // RFC 3339, "" for failure
	}{
		{"Mon, 7 Feb 1994 21:52:25 -0800", "1994-02-07T21:52:25-08:00"},
		{"Mon, 7 Feb 1994 21:52:25 -0800 (PST)", "1994-02-07T21:52:25-08:00"},
		{"7 Feb 1994 21:52 +0100", "1994-02-07T21:52:00+01:00"},
		{"Tue, 1 Jan 02 00:00:00 GMT", "2002-01-01T00:00:00Z"},
		{"1 Jan 99 00:00:00 EST", "1999-01-01T00:00:00-05:00"},
		{"1 Jan 102 00:00:00 PDT", "2002-01-01T00:00:00-07:00"},
		{"1 jan 2020 10:00:00 Z", "2020-01-01T10:00:00Z"},
		{"1 Jan 2020 10:00:00 A", "2020-01-01T10:00:00Z"},
		{"1 Jan 2020", "2020-01-01T00:00:00Z"},
		{"Wed,1 Jan 2020 10.20.30 +0000", "2020-01-01T10:20:30Z"},
		{"Jan 2 2020 10:00 +0000", "2020-01-02T10:00:00Z"},
		{"31 Feb 2020 10:00 +0000", ""},
		{"garbage", ""},
		{"", ""},
		{"1 Foo 2020 10:00", ""},
		{"1 Jan 2020 25:00", ""},
	}
	for _, tt := range tests {
		got, ok := ParseDate(tt.in)
		switch {
		case tt.want == "" && ok:
			t.Errorf("%q: got %v, want failure", tt.in, got)
		case tt.want != "" && (!ok || got.Format(time.RFC3339) != tt.want):
			t.Errorf("%q: got %v %v, want %s", tt.in, got.Format(time.RFC3339), ok, tt.want)
		}
	}
}
