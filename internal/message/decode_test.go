package message

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestNewDecoder(t *testing.T) {
	tests := []struct {
		name, enc, in, want string
	}{
		{"identity", "7bit", "a\r\nb", "a\r\nb"},
		{"identity empty name", "", "x", "x"},
		{"8bit upper", "8BIT", "\xff", "\xff"},
		{"binary", "binary", "\x00\x01", "\x00\x01"},
		{"base64", "base64", "aGVsbG8g\r\nd29ybGQ=\r\n", "hello world"},
		{"base64 whitespace and garbage", "Base64", " aG*Vs\tbG8=\r\n", "hello"},
		{"base64 partial quantum", "base64", "aGVsb", "hel"},
		{"base64 concatenated", "base64", "aGk=aGk=", "hihi"},
		{"qp escapes", "quoted-printable", "a=3Db=C3=A9", "a=b\xc3\xa9"},
		{"qp trailing space", "quoted-printable", "a  \r\nb\t\r\n", "a\r\nb\r\n"},
		{"qp soft break", "quoted-printable", "ab=\r\ncd=\nef", "abcdef"},
		// Dovecot 2.3 decodes this to "softxy" too (BINARY[1]).
		{"qp soft break with padding", "quoted-printable", "soft= \r\nx=  \r\ny", "softxy"},
		{"qp bad escapes kept", "quoted-printable", "=ZZ=4x=", "=ZZ=4x="},
		// White space before a soft line break is data; Dovecot 2.3 gives
		// "PV: \r\n2.0" for this (SpamAssassin easy-ham-1/01468).
		{"qp space before soft break", "quoted-printable", "PV: =\r\n\r\n2.0", "PV: \r\n2.0"},
		{"qp spaces before escape", "quoted-printable", "a  =3D\r\n", "a  =\r\n"},
		{"qp lowercase hex", "quoted-printable", "=e9", "\xe9"},
		{"qp bare LF", "quoted-printable", "a \nb", "a\nb"},
		{"qp bare CR", "quoted-printable", "a\rb", "a\rb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// One byte at a time, to exercise state kept across reads.
			r, err := NewDecoder(tt.enc, iotest.OneByteReader(strings.NewReader(tt.in)))
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(r)
			if err != nil || string(got) != tt.want {
				t.Errorf("got %q %v, want %q", got, err, tt.want)
			}
			r, _ = NewDecoder(tt.enc, strings.NewReader(tt.in))
			got, _ = io.ReadAll(r)
			if string(got) != tt.want {
				t.Errorf("whole: got %q, want %q", got, tt.want)
			}
		})
	}
	if _, err := NewDecoder("x-uuencode", strings.NewReader("")); !errors.Is(err, ErrUnknownCTE) {
		t.Errorf("unknown encoding: %v", err)
	}
}

// TestDecodedSizeMatchesDecoder: the size computed while parsing equals
// what NewDecoder yields for the same body.
func TestDecodedSizeMatchesDecoder(t *testing.T) {
	bodies := []string{"aGVsbG8g\r\nd29y bGQ=\r\n", "a=3Db  \r\nc=\r\nd\r\n", "=\r\n=4\r\n=ZZ=4=\r\n  x \t\r\nend", "x\r"}
	for _, enc := range []string{"base64", "quoted-printable", "7bit"} {
		for _, b := range bodies {
			msg := "MIME-Version: 1.0\r\nContent-Transfer-Encoding: " + enc + "\r\n\r\n" + b
			m := mustParse(t, msg)
			r, _ := NewDecoder(enc, strings.NewReader(msg[m.Root.BodyOffset:m.Root.BodyEnd]))
			got, _ := io.ReadAll(r)
			if int64(len(got)) != m.Root.DecodedSize {
				t.Errorf("%s %q: DecodedSize %d, decoder %d", enc, b, m.Root.DecodedSize, len(got))
			}
		}
	}
}
