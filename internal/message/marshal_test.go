package message

import (
	"reflect"
	"testing"
)

// roundTrip checks Unmarshal(Marshal(m)) == m (without the search text).
func roundTrip(t testing.TB, m *Message) {
	t.Helper()
	b := m.Marshal()
	got, err := Unmarshal(b)
	if err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	want := *m
	want.searchBody = ""
	if !reflect.DeepEqual(got, &want) {
		t.Fatalf("round trip differs:\n got %+v\nwant %+v", got, &want)
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	msgs := []string{
		"",
		"Subject: x\r\n\r\nbody",
		crlf("From: \"A\" <a@b>, g: c@d;\nTo: x@y\nCc: <@r:m@h>\nSubject: s\nDate: 1 Jan 2020 00:00 +0000\nMessage-ID: <m@x>\nIn-Reply-To: <r@x>\n" +
			"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain; charset=utf-8\nContent-ID: <c>\nContent-Description: d\n" +
			"Content-MD5: m\nContent-Disposition: attachment; filename=f\nContent-Language: en, de\nContent-Location: l\n\nhello\n" +
			"--b\nContent-Type: message/rfc822\n\nSubject: in\n\nx\n--b\nContent-Type: multipart/alternative\n\n--b--\n"),
	}
	for _, s := range msgs {
		roundTrip(t, mustParse(t, s))
	}
}

func TestUnmarshalCorrupt(t *testing.T) {
	good := mustParse(t, crlf("Subject: s\nContent-Type: multipart/mixed; boundary=b\n\n--b\n\nx\n--b--\n")).Marshal()
	if _, err := Unmarshal(nil); err == nil {
		t.Error("nil: no error")
	}
	if _, err := Unmarshal([]byte{99}); err == nil {
		t.Error("bad version: no error")
	}
	// Every truncation and every single-byte change must not panic;
	// truncations must fail.
	for i := 0; i < len(good); i++ {
		if _, err := Unmarshal(good[:i]); err == nil {
			t.Errorf("truncated at %d: no error", i)
		}
		for _, c := range []byte{0, 1, 0x7f, 0x80, 0xff} {
			b := []byte(string(good))
			b[i] = c
			_, _ = Unmarshal(b)
		}
	}
	if _, err := Unmarshal(append(good, 0)); err == nil {
		t.Error("trailing byte: no error")
	}
}
