package wire

import (
	"reflect"
	"strings"
	"testing"

	"petrel.dev/petrel/internal/imap"
)

func TestFetch(t *testing.T) {
	flags := imap.FetchAtt{Kind: imap.FetchFlags}
	idate := imap.FetchAtt{Kind: imap.FetchInternalDate}
	size := imap.FetchAtt{Kind: imap.FetchRFC822Size}
	env := imap.FetchAtt{Kind: imap.FetchEnvelope}
	body := imap.FetchAtt{Kind: imap.FetchBody}
	tests := []struct {
		in   string
		atts []imap.FetchAtt
		mods map[string]uint64
	}{
		// RFC 9051 §6.4.5 macros.
		{"ALL", []imap.FetchAtt{flags, idate, size, env}, nil},
		{"fast", []imap.FetchAtt{flags, idate, size}, nil},
		{"FULL", []imap.FetchAtt{flags, idate, size, env, body}, nil},
		{"FLAGS", []imap.FetchAtt{flags}, nil},
		{"(UID RFC822.SIZE FLAGS envelope INTERNALDATE BODY BODYSTRUCTURE)", []imap.FetchAtt{
			{Kind: imap.FetchUID}, size, flags, env, idate, body, {Kind: imap.FetchBodyStructure}}, nil},
		{"(RFC822 RFC822.HEADER RFC822.TEXT)", []imap.FetchAtt{
			{Kind: imap.FetchRFC822}, {Kind: imap.FetchRFC822Header}, {Kind: imap.FetchRFC822Text}}, nil},
		{"(MODSEQ SAVEDATE EMAILID THREADID PREVIEW)", []imap.FetchAtt{
			{Kind: imap.FetchModSeq}, {Kind: imap.FetchSaveDate}, {Kind: imap.FetchEmailID},
			{Kind: imap.FetchThreadID}, {Kind: imap.FetchPreview}}, nil},
		{"(PREVIEW (LAZY) UID)", []imap.FetchAtt{{Kind: imap.FetchPreview}, {Kind: imap.FetchUID}}, nil},
		{"PREVIEW (lazy)", []imap.FetchAtt{{Kind: imap.FetchPreview}}, nil},
		{"PREVIEW (CHANGEDSINCE 5)", []imap.FetchAtt{{Kind: imap.FetchPreview}}, map[string]uint64{"CHANGEDSINCE": 5}},
		{"BODY[]", []imap.FetchAtt{{Kind: imap.FetchBodySection}}, nil},
		{"body.peek[]<0.1024>", []imap.FetchAtt{{Kind: imap.FetchBodySection, Peek: true, Partial: &imap.Partial{Offset: 0, Count: 1024}}}, nil},
		{"BODY[HEADER]", []imap.FetchAtt{{Kind: imap.FetchBodySection, Section: imap.Section{Specifier: "HEADER"}}}, nil},
		{"BODY[text]", []imap.FetchAtt{{Kind: imap.FetchBodySection, Section: imap.Section{Specifier: "TEXT"}}}, nil},
		{"BODY[1.2.3]", []imap.FetchAtt{{Kind: imap.FetchBodySection, Section: imap.Section{Part: []int{1, 2, 3}}}}, nil},
		{"BODY[2.MIME]", []imap.FetchAtt{{Kind: imap.FetchBodySection, Section: imap.Section{Part: []int{2}, Specifier: "MIME"}}}, nil},
		{"BODY[1.HEADER]", []imap.FetchAtt{{Kind: imap.FetchBodySection, Section: imap.Section{Part: []int{1}, Specifier: "HEADER"}}}, nil},
		{`BODY.PEEK[HEADER.FIELDS (From "Subject" {2}` + "\r\nTo)]", []imap.FetchAtt{{Kind: imap.FetchBodySection, Peek: true,
			Section: imap.Section{Specifier: "HEADER.FIELDS", Fields: []string{"From", "Subject", "To"}}}}, nil},
		{"BODY[3.HEADER.FIELDS.NOT (Received)]<10.20>", []imap.FetchAtt{{Kind: imap.FetchBodySection,
			Section: imap.Section{Part: []int{3}, Specifier: "HEADER.FIELDS.NOT", Fields: []string{"Received"}},
			Partial: &imap.Partial{Offset: 10, Count: 20}}}, nil},
		{"BINARY[]", []imap.FetchAtt{{Kind: imap.FetchBinarySection}}, nil},
		{"BINARY.PEEK[1.2]<5.6>", []imap.FetchAtt{{Kind: imap.FetchBinarySection, Peek: true,
			Section: imap.Section{Part: []int{1, 2}}, Partial: &imap.Partial{Offset: 5, Count: 6}}}, nil},
		{"BINARY.SIZE[1]", []imap.FetchAtt{{Kind: imap.FetchBinarySize, Section: imap.Section{Part: []int{1}}}}, nil},
		{"(FLAGS) (CHANGEDSINCE 12345 VANISHED)", []imap.FetchAtt{flags}, map[string]uint64{"CHANGEDSINCE": 12345, "VANISHED": 0}},
		{"FLAGS (changedsince 1)", []imap.FetchAtt{flags}, map[string]uint64{"CHANGEDSINCE": 1}},
	}
	for _, tt := range tests {
		h := newHarness("a UID FETCH 1:*,5 "+tt.in+"\r\n", DefaultLimits())
		cmd, err := h.d.ReadCommand()
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		want := &imap.FetchArgs{Set: set("1:*,5"), Atts: tt.atts, Modifiers: tt.mods}
		if !cmd.UID || !reflect.DeepEqual(cmd.Args, want) {
			t.Errorf("%q:\n got  %+v\n want %+v", tt.in, cmd.Args, want)
		}
	}
}

func TestFetchErrors(t *testing.T) {
	tests := []struct{ in, text string }{
		{"", "missing"},
		{"1", "missing"},
		{"1 ()", "empty FETCH attribute list"},
		{"1 (ALL)", "macro"},
		{"1 (FLAGS", "missing"},
		{"1 FOO", "unknown FETCH attribute"},
		{"1 BODY[", "section"},
		{"1 BODY[0]", "must not be 0"},
		{"1 BODY[1.0]", "must not be 0"},
		{"1 BODY[MIME]", "needs a part number"},
		{"1 BODY[FOO]", "unknown section specifier"},
		{"1 BODY[HEADER.FIELDS]", "expected a single space"},
		{"1 BODY[HEADER.FIELDS ()]", "empty header field list"},
		{"1 BODY[1.]", "section specifier"},
		{"1 BODY[]<1>", `"."`},
		{"1 BODY[]<1.0>", "must not be 0"},
		{"1 BODY[]<1.2", `">"`},
		{"1 BODY.PEEK", "needs a section"},
		{"1 BINARY[HEADER]", "only part numbers"},
		{"1 BINARY[1.TEXT]", "only part numbers"},
		{"1 BINARY.SIZE[1]<0.1>", "expected end of line"},
		{"1 FLAGS (FOO 1)", "unknown FETCH modifier"},
		{"1 FLAGS (CHANGEDSINCE)", "expected a single space"},
		{"1 PREVIEW (LAZY FOO)", "unknown PREVIEW modifier"},
		{"1 FLAGS FLAGS", "parenthesised FETCH modifier"},
	}
	for _, tt := range tests {
		h := newHarness("a FETCH "+tt.in+"\r\nz NOOP\r\n", DefaultLimits())
		_, err := h.d.ReadCommand()
		if err == nil {
			t.Errorf("%q: no error", tt.in)
			continue
		}
		if e := wantErr(t, err); e.Tag != "a" || !strings.Contains(e.Text, tt.text) {
			t.Errorf("%q: error %+v, want text containing %q", tt.in, e, tt.text)
		}
		if next, err := h.d.ReadCommand(); err != nil || next.Tag != "z" {
			t.Errorf("%q: next command = %+v, %v", tt.in, next, err)
		}
	}
}
