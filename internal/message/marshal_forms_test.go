package message

import (
	"bytes"
	"strings"
	"testing"
)

// Forms returns exactly what formatting the decoded model gives, and old
// version 1 data still decodes.
func TestFormsMatchModel(t *testing.T) {
	for _, msg := range []string{
		"From: A <a@example.org>\r\nSubject: hi\r\n\r\nbody\r\n",
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: in\r\n\r\ny\r\n--b--\r\n",
		"",
	} {
		m, err := Parse(strings.NewReader(msg))
		if err != nil {
			t.Fatal(err)
		}
		b := m.Marshal()
		env, body, bs, ok := Forms(b)
		if !ok {
			t.Fatalf("Forms of version %d data failed", b[0])
		}
		if !bytes.Equal(env, AppendEnvelope(nil, m.Root.Envelope)) ||
			!bytes.Equal(body, AppendBodyStructure(nil, m.Root, false)) ||
			!bytes.Equal(bs, AppendBodyStructure(nil, m.Root, true)) {
			t.Errorf("Forms differ from the model for %q", msg)
		}
		back, err := Unmarshal(b)
		if err != nil || !bytes.Equal(AppendBodyStructure(nil, back.Root, true), bs) {
			t.Errorf("Unmarshal of version 2: %v", err)
		}
		// Version 1: the same encoding without the forms.
		v1 := append([]byte{marshalVersion1}, b[1+len(prefixLen(b)):]...)
		if _, _, _, ok := Forms(v1); ok {
			t.Error("Forms accepted version 1 data")
		}
		old, err := Unmarshal(v1)
		if err != nil || !bytes.Equal(AppendBodyStructure(nil, old.Root, true), bs) {
			t.Errorf("Unmarshal of version 1: %v", err)
		}
	}
}

// prefixLen returns the bytes of the three forms after the version byte.
func prefixLen(b []byte) []byte {
	d := &decoder{b: b[1:]}
	d.bytes()
	d.bytes()
	d.bytes()
	return b[1 : len(b)-len(d.b)]
}

// FormsOf gives the same forms for version 2 data, for the version 1
// encoding of the same model, and ErrCorrupt for garbage.
func TestFormsOf(t *testing.T) {
	msgs := []string{
		"From: A <a@example.org>\r\nSubject: hi\r\n\r\nbody\r\n",
		"Content-Type: multipart/alternative; boundary=b\r\nMIME-Version: 1.0\r\n\r\n--b\r\n\r\nx\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>y</p>\r\n--b--\r\n",
		"",
	}
	for _, msg := range msgs {
		m, err := Parse(strings.NewReader(msg))
		if err != nil {
			t.Fatal(err)
		}
		b := m.Marshal()
		v1 := append([]byte{marshalVersion1}, b[1+len(prefixLen(b)):]...)
		wantEnv := AppendEnvelope(nil, m.Root.Envelope)
		wantBody := AppendBodyStructure(nil, m.Root, false)
		wantBS := AppendBodyStructure(nil, m.Root, true)
		for _, data := range [][]byte{b, v1} {
			env, body, bs, err := FormsOf(data)
			if err != nil {
				t.Fatalf("FormsOf version %d: %v", data[0], err)
			}
			if !bytes.Equal(env, wantEnv) || !bytes.Equal(body, wantBody) || !bytes.Equal(bs, wantBS) {
				t.Errorf("FormsOf version %d of %q:\n%s\n%s\n%s", data[0], msg, env, body, bs)
			}
		}
	}
	for _, bad := range [][]byte{nil, {}, {9}, {marshalVersion1, 0xff}, {marshalVersion, 5, 'a'}} {
		if _, _, _, err := FormsOf(bad); err == nil {
			t.Errorf("FormsOf(%q) accepted corrupt data", bad)
		}
	}
}
