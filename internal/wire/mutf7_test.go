package wire

import (
	"testing"
	"unicode/utf8"
)

func TestMUTF7RoundTrip(t *testing.T) {
	tests := []struct{ utf8, mutf7 string }{
		{"", ""},
		{"INBOX", "INBOX"},
		{"&", "&-"},
		{"a&b", "a&-b"},
		{"~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"}, // RFC 3501 §5.1.3 example
		{"Entwürfe", "Entw&APw-rfe"},
		{"é", "&AOk-"},
		{"éé", "&AOkA6Q-"},
		{"😀", "&2D3eAA-"},   // surrogate pair
		{"a\tb", "a&AAk-b"}, // control characters are encoded
		{"Отправленные", "&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-"},
	}
	for _, tt := range tests {
		if got := EncodeMUTF7(tt.utf8); got != tt.mutf7 {
			t.Errorf("EncodeMUTF7(%q) = %q, want %q", tt.utf8, got, tt.mutf7)
		}
		got, err := DecodeMUTF7(tt.mutf7)
		if err != nil || got != tt.utf8 {
			t.Errorf("DecodeMUTF7(%q) = %q, %v; want %q", tt.mutf7, got, err, tt.utf8)
		}
	}
}

func TestMUTF7DecodeInvalid(t *testing.T) {
	for _, in := range []string{
		"&",           // unterminated
		"&AOk",        // unterminated
		"caf\xc3\xa9", // raw 8-bit
		"a\tb",        // raw control character
		"&AGE-",       // encodes printable ASCII "a"
		"&ACY-",       // encodes "&" itself
		"&AOk-&AOk-",  // adjacent runs must be merged
		"&AO-",        // odd number of bytes
		"&AOl-",       // non-zero padding bits
		"&AOk=-",      // padding is not used
		"&AO/k-",      // "/" is not in the modified alphabet
		"&2D0-",       // lone high surrogate
		"&3gA-",       // lone low surrogate
		"&2D0AYQ-",    // high surrogate followed by a non-surrogate
	} {
		if got, err := DecodeMUTF7(in); err == nil {
			t.Errorf("DecodeMUTF7(%q) = %q, want error", in, got)
		}
	}
}

func FuzzMUTF7(f *testing.F) {
	for _, s := range []string{"", "INBOX", "&-", "Entw&APw-rfe", "&2D3eAA-", "&AOk-&AOk-", "&AGE-", "a&b", "日本語", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// Any decodable input is canonical: it re-encodes to itself.
		if dec, err := DecodeMUTF7(s); err == nil {
			if enc := EncodeMUTF7(dec); enc != s {
				t.Fatalf("DecodeMUTF7(%q) = %q, which encodes to %q", s, dec, enc)
			}
		}
		// Any valid UTF-8 round-trips through the encoding.
		if utf8.ValidString(s) {
			enc := EncodeMUTF7(s)
			dec, err := DecodeMUTF7(enc)
			if err != nil || dec != s {
				t.Fatalf("round trip of %q via %q gave %q, %v", s, enc, dec, err)
			}
		}
	})
}
