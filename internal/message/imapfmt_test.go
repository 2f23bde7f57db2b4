package message

import "testing"

func TestAppendString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `""`},
		{"abc", `"abc"`},
		{`a"b\c`, `"a\"b\\c"`},
		{"caf\xc3\xa9", "{5}\r\ncaf\xc3\xa9"},
		{"a\r\nb", "{4}\r\na\r\nb"},
		{"a\x00b", "{3}\r\na\x80b"},
	}
	for _, tt := range tests {
		if got := string(appendString(nil, tt.in)); got != tt.want {
			t.Errorf("%q: got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestAppendHuman(t *testing.T) {
	s := func(v string) *string { return &v }
	tests := []struct {
		in   *string
		want string
	}{
		{nil, "NIL"},
		{s("plain text"), `"plain text"`},
		{s(""), `""`},
		// Dovecot collapses white space and then sends a literal.
		{s("  a \t b  "), "{3}\r\na b"},
		{s(`a"b`), "{3}\r\na\"b"},
	}
	for _, tt := range tests {
		if got := string(appendHuman(nil, tt.in)); got != tt.want {
			t.Errorf("%v: got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestAppendEnvelopeDefaults(t *testing.T) {
	if got := string(AppendEnvelope(nil, nil)); got != "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)" {
		t.Errorf("nil envelope: %s", got)
	}
	from := "f"
	host := "h"
	env := &Envelope{From: []Address{{Mailbox: &from, Host: &host}}}
	// RFC 9051 §7.5.2: sender and reply-to default to from.
	want := `(NIL NIL ((NIL NIL "f" "h")) ((NIL NIL "f" "h")) ((NIL NIL "f" "h")) NIL NIL NIL NIL NIL)`
	if got := string(AppendEnvelope(nil, env)); got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestAppendBodyStructureEmptyMultipart(t *testing.T) {
	p := &Part{Type: "multipart", Subtype: "mixed", Multipart: true, Encoding: "7bit"}
	if got, want := string(AppendBodyStructure(nil, p, false)), `(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0) "mixed")`; got != want {
		t.Errorf("BODY: %s", got)
	}
	if got, want := string(AppendBodyStructure(nil, p, true)), `(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0 NIL NIL NIL NIL) "mixed" NIL NIL NIL NIL)`; got != want {
		t.Errorf("BODYSTRUCTURE: %s", got)
	}
}
