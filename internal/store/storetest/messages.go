package storetest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"time"

	"petrel.dev/petrel/internal/message"
	"petrel.dev/petrel/internal/store"
)

func testAppendFetch(t *testing.T, open Opener) {
	e := openEnv(t, open, store.Options{})
	a := e.account("u")
	ctx := e.ctx
	msg := testMessage("Round trip", "Hello, world.\r\nSecond line.")
	date := time.Date(2024, 3, 1, 12, 34, 56, 0, time.FixedZone("", -7*3600))
	res, err := a.Append(ctx, "INBOX", store.AppendMessage{
		Flags: []string{`\Seen`, "$Work"}, InternalDate: date, Body: strings.NewReader(msg), Size: int64(len(msg)),
	})
	must(t, "Append", err)
	st := status(t, a, "INBOX")
	if res.UID != 1 || res.UIDValidity != st.UIDValidity || res.MailboxID != st.ID || st.UIDNext != 2 {
		t.Fatalf("AppendResult %+v, status %+v", res, st)
	}
	mb := mailbox(t, a, "INBOX")
	if got := readAll(t, mb, res.UID); got != msg {
		t.Fatalf("stored bytes differ:\n%q\nwant\n%q", got, msg)
	}
	_, err = mb.OpenMessage(ctx, 99)
	wantErr(t, "OpenMessage(99)", err, fs.ErrNotExist)

	// Unknown size (-1) is accepted too.
	res2, err := a.Append(ctx, "INBOX", store.AppendMessage{Body: strings.NewReader(msg), Size: -1})
	must(t, "Append size -1", err)
	if res2.UID != 2 {
		t.Fatalf("second UID = %d", res2.UID)
	}

	// Any bytes round-trip exactly, whatever the parser makes of them.
	for i, odd := range []string{"", "no header, bare LF\n\x00\xff\r\r\n", "Subject: x\n\nbare LF body\n", strings.Repeat("A", 300000)} {
		r, err := a.Append(ctx, "Drafts", store.AppendMessage{Body: strings.NewReader(odd), Size: int64(len(odd))})
		must(t, "append odd message", err)
		if got := readAll(t, mailbox(t, a, "Drafts"), r.UID); got != odd {
			t.Fatalf("odd message %d: stored %d bytes, want %d", i, len(got), len(odd))
		}
	}

	var got []*store.MessageData
	err = mb.Messages(ctx, []uint32{2, 1, 7, 1}, store.WantHeader|store.WantStructure, func(d *store.MessageData) error {
		got = append(got, d)
		return nil
	})
	must(t, "Messages", err)
	if len(got) != 2 || got[0].UID != 1 || got[1].UID != 2 {
		t.Fatalf("Messages returned %d items", len(got))
	}
	d := got[0]
	if string(d.Header) != headerOf(msg) {
		t.Fatalf("header blob = %q, want %q", d.Header, headerOf(msg))
	}
	pm, err := message.Unmarshal(d.Structure)
	if err != nil {
		t.Fatalf("structure blob: %v", err)
	}
	if pm.Size != int64(len(msg)) || pm.Root == nil || pm.Root.BodyOffset != int64(len(headerOf(msg))) {
		t.Fatalf("structure blob decodes to %+v", pm)
	}
	if !sameFlags(d.Flags, []string{`\Seen`, "$Work"}) || d.Size != int64(len(msg)) || !sameTime(d.InternalDate, date) || d.ModSeq == 0 {
		t.Fatalf("meta = %+v", d.MessageMeta)
	}
	if time.Since(got[1].InternalDate) > time.Minute {
		t.Fatalf("zero InternalDate stored as %v, want now", got[1].InternalDate)
	}
	got = nil
	err = mb.Messages(ctx, []uint32{1}, 0, func(d *store.MessageData) error {
		got = append(got, d)
		return nil
	})
	must(t, "Messages without want", err)
	if len(got) != 1 || got[0].Header != nil || got[0].Structure != nil {
		t.Fatalf("Messages(want 0) = %+v", got)
	}
	stop := errors.New("stop")
	n := 0
	err = mb.Messages(ctx, []uint32{1, 2}, 0, func(*store.MessageData) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Fatalf("fn error: got %v after %d calls", err, n)
	}
	s := snapshot(t, mb)
	if !slices.Equal(uidsOf(s), []uint32{1, 2}) || s.UIDNext != 3 || s.HighestModSeq < s.Messages[1].ModSeq {
		t.Fatalf("snapshot %+v", s)
	}
}

func testAppendLimits(t *testing.T, open Opener) {
	e := openEnv(t, open, store.Options{MaxMessageSize: 100})
	a := e.account("u")
	ctx := e.ctx
	big := testMessage("big", strings.Repeat("x", 200))
	_, err := a.Append(ctx, "INBOX", store.AppendMessage{Body: strings.NewReader(big), Size: int64(len(big))})
	wantErr(t, "declared too big", err, store.ErrTooBig)
	_, err = a.Append(ctx, "INBOX", store.AppendMessage{Body: strings.NewReader(big), Size: -1})
	wantErr(t, "streamed too big", err, store.ErrTooBig)
	small := "Subject: s\r\n\r\nok\r\n"
	_, err = a.Append(ctx, "INBOX", store.AppendMessage{Body: strings.NewReader(small), Size: int64(len(small)) + 5})
	if err == nil {
		t.Fatal("append of a short body succeeded")
	}
	_, err = a.Append(ctx, "INBOX", store.AppendMessage{Body: io.MultiReader(strings.NewReader(small), errReader{}), Size: -1})
	if err == nil {
		t.Fatal("append with a read error succeeded")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = a.Append(cctx, "INBOX", store.AppendMessage{Body: strings.NewReader(small), Size: int64(len(small))})
	if err == nil {
		t.Fatal("append with a cancelled context succeeded")
	}
	if st := status(t, a, "INBOX"); st.Messages != 0 || st.Size != 0 {
		t.Fatalf("failed appends left %+v", st)
	}
	r, err := a.Append(ctx, "INBOX", store.AppendMessage{Body: strings.NewReader(small), Size: int64(len(small))})
	must(t, "small append", err)
	if got := readAll(t, mailbox(t, a, "INBOX"), r.UID); got != small {
		t.Fatalf("stored %q", got)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func testFlags(t *testing.T, open Opener) {
	e := openEnv(t, open, store.Options{})
	a := e.account("u")
	ctx := e.ctx
	for range 3 {
		appendMsg(t, a, "INBOX", testMessage("f", "b"), `\Recent`)
	}
	mb := mailbox(t, a, "INBOX")
	hm := snapshot(t, mb).HighestModSeq
	for _, m := range snapshot(t, mb).Messages {
		if len(m.Flags) != 0 {
			t.Fatalf("\\Recent was stored: %v", m.Flags)
		}
	}

	ch, err := mb.StoreFlags(ctx, []uint32{1, 2, 9}, store.FlagsAdd, []string{`\Seen`, `\Flagged`, `\Seen`})
	must(t, "add", err)
	if len(ch) != 2 || ch[0].UID != 1 || ch[1].UID != 2 {
		t.Fatalf("add changed %+v", ch)
	}
	// RFC 7162 §3.1: one new MODSEQ, greater than the old HIGHESTMODSEQ.
	for _, m := range ch {
		if m.ModSeq != hm+1 || !sameFlags(m.Flags, []string{`\Seen`, `\Flagged`}) {
			t.Fatalf("changed message %+v, old HIGHESTMODSEQ %d", m, hm)
		}
	}
	s := snapshot(t, mb)
	if s.HighestModSeq != hm+1 || s.Messages[2].ModSeq > hm || len(s.Messages[2].Flags) != 0 {
		t.Fatalf("snapshot after add: %+v", s)
	}
	// A change that changes nothing bumps nothing.
	ch, err = mb.StoreFlags(ctx, []uint32{1, 2}, store.FlagsAdd, []string{`\Seen`})
	must(t, "add again", err)
	if len(ch) != 0 || snapshot(t, mb).HighestModSeq != hm+1 {
		t.Fatalf("no-op add changed %+v", ch)
	}
	ch, err = mb.StoreFlags(ctx, []uint32{1, 2, 3}, store.FlagsRemove, []string{`\Flagged`, `\Answered`})
	must(t, "remove", err)
	if len(ch) != 2 || ch[0].ModSeq != hm+2 || !sameFlags(ch[0].Flags, []string{`\Seen`}) {
		t.Fatalf("remove changed %+v", ch)
	}
	ch, err = mb.StoreFlags(ctx, []uint32{1, 3}, store.FlagsReplace, []string{`\Draft`, `\Answered`})
	must(t, "replace", err)
	if len(ch) != 2 || !sameFlags(ch[0].Flags, []string{`\Draft`, `\Answered`}) || !sameFlags(ch[1].Flags, []string{`\Draft`, `\Answered`}) {
		t.Fatalf("replace changed %+v", ch)
	}
	ch, err = mb.StoreFlags(ctx, []uint32{1}, store.FlagsReplace, []string{`\Answered`, `\Draft`})
	must(t, "replace same set", err)
	if len(ch) != 0 {
		t.Fatalf("replace with the same set changed %+v", ch)
	}
	ch, err = mb.StoreFlags(ctx, nil, store.FlagsAdd, []string{`\Seen`})
	must(t, "no uids", err)
	if len(ch) != 0 {
		t.Fatalf("StoreFlags(nil) changed %+v", ch)
	}
	s = snapshot(t, mb)
	for i, want := range [][]string{{`\Draft`, `\Answered`}, {`\Seen`}, {`\Draft`, `\Answered`}} {
		if !sameFlags(s.Messages[i].Flags, want) {
			t.Errorf("message %d flags %v, want %v", i+1, s.Messages[i].Flags, want)
		}
	}
	if s.HighestModSeq != hm+3 {
		t.Fatalf("HIGHESTMODSEQ %d, want %d", s.HighestModSeq, hm+3)
	}
	for _, m := range s.Messages {
		if m.ModSeq > s.HighestModSeq {
			t.Fatalf("message MODSEQ %d > HIGHESTMODSEQ %d", m.ModSeq, s.HighestModSeq)
		}
	}
}

func testKeywords(t *testing.T, open Opener) {
	e := openEnv(t, open, store.Options{})
	a := e.account("u")
	ctx := e.ctx
	appendMsg(t, a, "INBOX", testMessage("k", "b"), "$Label1")
	appendMsg(t, a, "INBOX", testMessage("k", "b"))
	mb := mailbox(t, a, "INBOX")
	// RFC 9051 §2.3.2: keywords compare case-insensitively; the spelling
	// first used in the mailbox is kept.
	ch, err := mb.StoreFlags(ctx, []uint32{2}, store.FlagsAdd, []string{"$LABEL1", "$label1", "Custom"})
	must(t, "add", err)
	if len(ch) != 1 || !sameFlags(ch[0].Flags, []string{"$Label1", "Custom"}) {
		t.Fatalf("add changed %+v", ch)
	}
	ch, err = mb.StoreFlags(ctx, []uint32{1}, store.FlagsAdd, []string{"$label1"})
	must(t, "add present", err)
	if len(ch) != 0 {
		t.Fatalf("adding a present keyword in other case changed %+v", ch)
	}
	s := snapshot(t, mb)
	if !sameFlags(s.Keywords, []string{"$Label1", "Custom"}) {
		t.Fatalf("Keywords = %v", s.Keywords)
	}
	ch, err = mb.StoreFlags(ctx, []uint32{1, 2}, store.FlagsRemove, []string{"$LABEL1"})
	must(t, "remove", err)
	if len(ch) != 2 || len(ch[0].Flags) != 0 || !sameFlags(ch[1].Flags, []string{"Custom"}) {
		t.Fatalf("remove changed %+v", ch)
	}
	_, err = mb.StoreFlags(ctx, []uint32{1}, store.FlagsAdd, []string{"bad flag"})
	if err == nil {
		t.Fatal("a flag with a space was accepted")
	}
}

func testExpunge(t *testing.T, open Opener) {
	e := openEnv(t, open, store.Options{})
	a := e.account("u")
	ctx := e.ctx
	for range 4 {
		appendMsg(t, a, "INBOX", testMessage("e", "b"))
	}
	mb := mailbox(t, a, "INBOX")
	_, err := mb.StoreFlags(ctx, []uint32{1, 3, 4}, store.FlagsAdd, []string{`\Deleted`})
	must(t, "flag", err)
	hm := snapshot(t, mb).HighestModSeq
	gone, err := mb.Expunge(ctx, []uint32{3, 1, 2})
	must(t, "Expunge", err)
	if !slices.Equal(gone, []uint32{1, 3}) {
		t.Fatalf("Expunge = %v, want [1 3] (2 lacks \\Deleted, 4 was not asked for)", gone)
	}
	s := snapshot(t, mb)
	if !slices.Equal(uidsOf(s), []uint32{2, 4}) || s.HighestModSeq != hm+1 {
		t.Fatalf("after expunge: uids %v, HIGHESTMODSEQ %d (was %d)", uidsOf(s), s.HighestModSeq, hm)
	}
	gone, err = mb.Expunge(ctx, []uint32{2, 3})
	must(t, "Expunge nothing", err)
	if len(gone) != 0 || snapshot(t, mb).HighestModSeq != hm+1 {
		t.Fatalf("empty expunge: %v", gone)
	}
	_, err = mb.OpenMessage(ctx, 1)
	wantErr(t, "OpenMessage(expunged)", err, fs.ErrNotExist)
	if st := status(t, a, "INBOX"); st.Messages != 2 || st.Deleted != 1 {
		t.Fatalf("status after expunge %+v", st)
	}
}

func testCopy(t *testing.T, open Opener) {
	e := openEnv(t, open, store.Options{})
	a := e.account("u")
	ctx := e.ctx
	m1, m2 := testMessage("c1", "first"), testMessage("c2", "second")
	date := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, m := range []string{m1, m2} {
		_, err := a.Append(ctx, "INBOX", store.AppendMessage{Flags: []string{`\Flagged`, "$K"}, InternalDate: date,
			Body: strings.NewReader(m), Size: int64(len(m))})
		must(t, "append", err)
	}
	appendMsg(t, a, "Trash", testMessage("t", "t"))
	mb := mailbox(t, a, "INBOX")
	res, err := mb.Copy(ctx, []uint32{2, 1, 5}, "Trash")
	must(t, "Copy", err)
	tr := status(t, a, "Trash")
	if res.DestID != tr.ID || res.DestUIDValidity != tr.UIDValidity ||
		!slices.Equal(res.SrcUIDs, []uint32{1, 2}) || !slices.Equal(res.DestUIDs, []uint32{2, 3}) {
		t.Fatalf("CopyResult %+v", res)
	}
	dst := mailbox(t, a, "Trash")
	s := snapshot(t, dst)
	for _, m := range s.Messages[1:] {
		if !sameFlags(m.Flags, []string{`\Flagged`, "$K"}) || !sameTime(m.InternalDate, date) || m.ModSeq != s.HighestModSeq {
			t.Fatalf("copied message %+v", m)
		}
	}
	if !slices.Contains(s.Keywords, "$K") {
		t.Fatalf("destination keywords %v", s.Keywords)
	}
	// The copies survive the expunge of their sources.
	_, err = mb.StoreFlags(ctx, []uint32{1, 2}, store.FlagsAdd, []string{`\Deleted`})
	must(t, "flag", err)
	_, err = mb.Expunge(ctx, []uint32{1, 2})
	must(t, "expunge", err)
	if readAll(t, dst, 2) != m1 || readAll(t, dst, 3) != m2 {
		t.Fatal("copy content differs after source expunge")
	}
	// Copy into the same mailbox gives new UIDs.
	res, err = dst.Copy(ctx, []uint32{2}, "Trash")
	must(t, "self copy", err)
	if !slices.Equal(res.DestUIDs, []uint32{4}) {
		t.Fatalf("self copy %+v", res)
	}
	res, err = mb.Copy(ctx, []uint32{1, 2}, "Trash")
	must(t, "copy of expunged", err)
	if len(res.SrcUIDs) != 0 || len(res.DestUIDs) != 0 {
		t.Fatalf("copy of expunged UIDs: %+v", res)
	}
	_, err = mb.Copy(ctx, []uint32{1}, "Nope")
	wantErr(t, "copy to missing", err, store.ErrNoMailbox)
}

func testMove(t *testing.T, open Opener) {
	e := openEnv(t, open, store.Options{})
	a := e.account("u")
	ctx := e.ctx
	msg := testMessage("m", "moving")
	appendMsg(t, a, "INBOX", msg, `\Seen`)
	appendMsg(t, a, "INBOX", msg)
	mb := mailbox(t, a, "INBOX")
	src := snapshot(t, mb)
	e.rec.take()
	res, err := mb.Move(ctx, []uint32{1}, "Archive")
	must(t, "Move", err)
	if !slices.Equal(res.SrcUIDs, []uint32{1}) || !slices.Equal(res.DestUIDs, []uint32{1}) {
		t.Fatalf("Move result %+v", res)
	}
	s := snapshot(t, mb)
	if !slices.Equal(uidsOf(s), []uint32{2}) || s.HighestModSeq != src.HighestModSeq+1 {
		t.Fatalf("source after move %+v", s)
	}
	d := snapshot(t, mailbox(t, a, "Archive"))
	if len(d.Messages) != 1 || !sameFlags(d.Messages[0].Flags, []string{`\Seen`}) {
		t.Fatalf("destination after move %+v", d)
	}
	if readAll(t, mailbox(t, a, "Archive"), 1) != msg {
		t.Fatal("moved content differs")
	}
	// RFC 6851 §4.3: the destination learns of the message before the
	// source expunges it.
	cs := e.rec.take()
	if len(cs) != 2 || cs[0].Kind != store.ChangeAppend || cs[0].MailboxID != d.ID ||
		cs[1].Kind != store.ChangeExpunge || cs[1].MailboxID != s.ID || !slices.Equal(cs[1].UIDs, []uint32{1}) {
		t.Fatalf("move changes %+v", cs)
	}
	_, err = mb.Move(ctx, []uint32{2}, "Nope")
	wantErr(t, "move to missing", err, store.ErrNoMailbox)
	if len(snapshot(t, mb).Messages) != 1 {
		t.Fatal("failed move lost the message")
	}
}

func testStatus(t *testing.T, open Opener) {
	e := openEnv(t, open, store.Options{})
	a := e.account("u")
	ctx := e.ctx
	m1, m2, m3 := testMessage("s1", "a"), testMessage("s2", "bb"), testMessage("s3", "ccc")
	appendMsg(t, a, "INBOX", m1, `\Seen`)
	appendMsg(t, a, "INBOX", m2, `\Deleted`)
	appendMsg(t, a, "INBOX", m3)
	st := status(t, a, "INBOX")
	want := store.MailboxStatus{ID: st.ID, Messages: 3, UIDNext: 4, UIDValidity: st.UIDValidity, Unseen: 2, Deleted: 1, DeletedSize: int64(len(m2)),
		Size: int64(len(m1) + len(m2) + len(m3)), HighestModSeq: st.HighestModSeq}
	if st != want || st.HighestModSeq == 0 {
		t.Fatalf("Status = %+v, want %+v", st, want)
	}
	mb := mailbox(t, a, "INBOX")
	_, err := mb.StoreFlags(ctx, []uint32{1, 2, 3}, store.FlagsReplace, []string{`\Seen`, `\Deleted`})
	must(t, "replace", err)
	st = status(t, a, "INBOX")
	if st.Unseen != 0 || st.Deleted != 3 || st.Messages != 3 {
		t.Fatalf("Status after replace %+v", st)
	}
	_, err = mb.Expunge(ctx, []uint32{2})
	must(t, "expunge", err)
	_, err = mb.Copy(ctx, []uint32{1}, "Sent")
	must(t, "copy", err)
	st = status(t, a, "INBOX")
	if st.Messages != 2 || st.Deleted != 2 || st.Size != int64(len(m1)+len(m3)) || st.UIDNext != 4 {
		t.Fatalf("Status after expunge %+v", st)
	}
	if sent := status(t, a, "Sent"); sent.Messages != 1 || sent.Unseen != 0 || sent.Deleted != 1 || sent.Size != int64(len(m1)) {
		t.Fatalf("Status of Sent %+v", sent)
	}
	_, err = a.Status(ctx, "Nope")
	wantErr(t, "Status(Nope)", err, store.ErrNoMailbox)
}

func testSearchText(t *testing.T, open Opener) {
	e := openEnv(t, open, store.Options{})
	a := e.account("u")
	ctx := e.ctx
	appendMsg(t, a, "INBOX", testMessage("Quarterly report", "The numbers look great."))
	appendMsg(t, a, "INBOX", testMessage("Lunch", "Shall we meet at the café? Ünïcode"))
	appendMsg(t, a, "INBOX", testMessage("Numbers", "nothing here"))
	// Body text is matched decoded (RFC 9051 §6.4.4), here from base64
	// ("Das Geheimnis liegt im Detail.") and from an encoded-word subject.
	appendMsg(t, a, "INBOX", "From: x@example.org\r\nSubject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\nMIME-Version: 1.0\r\n"+
		"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"+
		"RGFzIEdlaGVpbW5pcyBsaWVndCBpbSBEZXRhaWwu\r\n")
	mb := mailbox(t, a, "INBOX")
	tests := []struct {
		name    string
		uids    []uint32
		needles []string
		header  bool
		want    []uint32
	}{
		{"body", nil, []string{"numbers"}, false, []uint32{1}},
		{"text", nil, []string{"numbers"}, true, []uint32{1, 3}},
		{"case", nil, []string{"GREAT"}, false, []uint32{1}},
		{"unicode case", nil, []string{"üNÏCODE"}, false, []uint32{2}},
		{"accent", nil, []string{"CAFÉ"}, false, []uint32{2}},
		{"all needles", nil, []string{"meet", "café"}, false, []uint32{2}},
		{"needles in header and body", nil, []string{"lunch", "meet"}, true, []uint32{2}},
		{"header only needle, body search", nil, []string{"lunch"}, false, nil},
		{"address", nil, []string{"alice@example.org"}, true, []uint32{1, 2, 3}},
		{"base64 body", nil, []string{"geheimnis liegt"}, false, []uint32{4}},
		{"encoded body not raw", nil, []string{"RGFzIEdl"}, true, nil},
		{"encoded-word header", nil, []string{"grüße"}, true, []uint32{4}},
		{"restricted", []uint32{2, 3}, []string{"numbers"}, true, []uint32{3}},
		{"empty uid set", []uint32{}, []string{"numbers"}, true, nil},
		{"no match", nil, []string{"zebra"}, true, nil},
		{"no needles", nil, nil, false, []uint32{1, 2, 3, 4}},
	}
	for _, tt := range tests {
		got, err := mb.SearchText(ctx, tt.uids, tt.needles, tt.header)
		must(t, tt.name, err)
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: SearchText(%v, %q, %v) = %v, want %v", tt.name, tt.uids, tt.needles, tt.header, got, tt.want)
		}
	}
}

// testSearchHeaderText checks the header-text search SEARCH narrows header
// keys with: every message whose decoded header fields contain the
// needles is returned, whatever the encoding, and only messages asked for;
// a store may return more (it is a prefilter).
func testSearchHeaderText(t *testing.T, open Opener) {
	e := openEnv(t, open, store.Options{})
	a := e.account("u")
	ctx := e.ctx
	appendMsg(t, a, "INBOX", testMessage("Quarterly report", "kestrel in the body"))
	appendMsg(t, a, "INBOX", "From: =?ISO-8859-1?Q?Andr=E9?= <andre@example.org>\r\n"+
		"Subject: =?UTF-8?B?S2VzdHJlbCBzaWdodGluZw==?=\r\nX-Folded: one\r\n two\r\n\r\nbody\r\n")
	appendMsg(t, a, "INBOX", testMessage("Lunch", "nothing"))
	mb := mailbox(t, a, "INBOX")
	tests := []struct {
		name    string
		uids    []uint32
		needles []string
		want    []uint32 // at least these
	}{
		{"subject", nil, []string{"QUARTERLY"}, []uint32{1}},
		{"encoded-word subject", nil, []string{"kestrel sight"}, []uint32{2}},
		{"encoded-word name", nil, []string{"andré"}, []uint32{2}},
		{"address", nil, []string{"alice@example"}, []uint32{1, 3}},
		{"unfolded", nil, []string{"one two"}, []uint32{2}},
		{"all needles", nil, []string{"alice", "lunch"}, []uint32{3}},
		{"short needle", nil, []string{"é"}, []uint32{2}},
		{"restricted", []uint32{3}, []string{"alice"}, []uint32{3}},
		{"restricted away", []uint32{2, 9}, []string{"alice"}, nil},
		{"empty uid set", []uint32{}, []string{"alice"}, nil},
		{"no match", nil, []string{"zebra"}, nil},
	}
	for _, tt := range tests {
		got, err := mb.SearchHeaderText(ctx, tt.uids, tt.needles)
		must(t, tt.name, err)
		asked := tt.uids
		if asked == nil {
			asked = []uint32{1, 2, 3}
		}
		asked = slices.DeleteFunc(slices.Clone(asked), func(u uint32) bool { return u > 3 })
		for _, u := range tt.want {
			if !slices.Contains(got, u) {
				t.Errorf("%s: SearchHeaderText(%v, %q) = %v, misses %d", tt.name, tt.uids, tt.needles, got, u)
			}
		}
		if !slices.IsSorted(got) {
			t.Errorf("%s: SearchHeaderText(%v, %q) = %v, not ascending", tt.name, tt.uids, tt.needles, got)
		}
		for _, u := range got {
			if !slices.Contains(asked, u) {
				t.Errorf("%s: SearchHeaderText(%v, %q) = %v, %d not asked for", tt.name, tt.uids, tt.needles, got, u)
			}
		}
	}
}

// testUnchangedSince checks StoreFlagsIf's UNCHANGEDSINCE test (RFC 7162
// §3.1.3): messages changed after the given MODSEQ are left alone and
// reported; 0 fails for every message.
func testUnchangedSince(t *testing.T, open Opener) {
	e := openEnv(t, open, store.Options{})
	a := e.account("u")
	ctx := e.ctx
	for range 3 {
		appendMsg(t, a, "INBOX", testMessage("u", "b"))
	}
	mb := mailbox(t, a, "INBOX")
	before := snapshot(t, mb).HighestModSeq
	_, err := mb.StoreFlags(ctx, []uint32{2}, store.FlagsAdd, []string{`\Seen`})
	must(t, "store", err)

	changed, modified, err := mb.StoreFlagsIf(ctx, []uint32{1, 2, 3}, store.FlagsAdd, []string{`\Flagged`}, before)
	must(t, "store if", err)
	if len(modified) != 1 || modified[0] != 2 {
		t.Fatalf("modified %v, want [2]", modified)
	}
	if len(changed) != 2 || changed[0].UID != 1 || changed[1].UID != 3 {
		t.Fatalf("changed %+v, want UIDs 1 and 3", changed)
	}
	s := snapshot(t, mb)
	if hasFlagFold(s.Messages[1].Flags, `\Flagged`) {
		t.Fatalf("message 2 changed despite failing the test: %v", s.Messages[1].Flags)
	}
	_, modified, err = mb.StoreFlagsIf(ctx, []uint32{1, 2, 3}, store.FlagsAdd, []string{"$x"}, 0)
	must(t, "store if 0", err)
	if len(modified) != 3 {
		t.Fatalf("UNCHANGEDSINCE 0 modified %v, want all three", modified)
	}
	if after := snapshot(t, mb); after.HighestModSeq != s.HighestModSeq {
		t.Fatalf("a STORE that changed nothing moved HIGHESTMODSEQ %d → %d", s.HighestModSeq, after.HighestModSeq)
	}
}

func hasFlagFold(flags []string, f string) bool {
	for _, x := range flags {
		if strings.EqualFold(x, f) {
			return true
		}
	}
	return false
}

// testVanished checks the record of expunged UIDs that QRESYNC needs
// (RFC 7162 §3.2.5.1): every UID expunged after a MODSEQ, and no other.
func testVanished(t *testing.T, open Opener) {
	e := openEnv(t, open, store.Options{})
	a := e.account("u")
	ctx := e.ctx
	for range 4 {
		appendMsg(t, a, "INBOX", testMessage("v", "b"))
	}
	mb := mailbox(t, a, "INBOX")
	_, err := mb.StoreFlags(ctx, []uint32{1, 2, 3}, store.FlagsAdd, []string{`\Deleted`})
	must(t, "store", err)
	_, err = mb.Expunge(ctx, []uint32{2})
	must(t, "expunge 2", err)
	mid := snapshot(t, mb).HighestModSeq
	_, err = mb.Expunge(ctx, []uint32{1, 3})
	must(t, "expunge 1,3", err)
	got, err := mb.Vanished(ctx, 0)
	must(t, "vanished 0", err)
	if len(got) != 3 || got[0] != 1 || got[1] != 2 || got[2] != 3 {
		t.Fatalf("Vanished(0) = %v, want [1 2 3]", got)
	}
	got, err = mb.Vanished(ctx, mid)
	must(t, "vanished mid", err)
	if len(got) != 2 || got[0] != 1 || got[1] != 3 {
		t.Fatalf("Vanished(%d) = %v, want [1 3]", mid, got)
	}
	got, err = mb.Vanished(ctx, snapshot(t, mb).HighestModSeq)
	must(t, "vanished now", err)
	if len(got) != 0 {
		t.Fatalf("Vanished(HIGHESTMODSEQ) = %v, want none", got)
	}
}

// testSaveDate checks RFC 8514 §3: Append and Copy set the save date to
// the time of saving; the source keeps its own.
func testSaveDate(t *testing.T, open Opener) {
	e := openEnv(t, open, store.Options{})
	a := e.account("u")
	before := time.Now().Add(-time.Second)
	appendMsg(t, a, "INBOX", testMessage("s", "b"))
	mb := mailbox(t, a, "INBOX")
	src := snapshot(t, mb).Messages[0]
	if src.SaveDate.Before(before) || src.SaveDate.After(time.Now().Add(time.Second)) {
		t.Fatalf("save date %v, appended at about %v", src.SaveDate, before)
	}
	res, err := mb.Copy(e.ctx, []uint32{src.UID}, "Archive")
	must(t, "copy", err)
	dst := snapshot(t, mailbox(t, a, "Archive")).Messages[0]
	if dst.UID != res.DestUIDs[0] || dst.SaveDate.Before(src.SaveDate) {
		t.Fatalf("copy's save date %v before the source's %v", dst.SaveDate, src.SaveDate)
	}
	if again := snapshot(t, mb).Messages[0]; !again.SaveDate.Equal(src.SaveDate) {
		t.Fatalf("source save date changed from %v to %v", src.SaveDate, again.SaveDate)
	}
}

// testObjectIDs checks RFC 8474 §5: EMAILID is shared by copies and
// unique otherwise; a reply joins its parent's THREADID, found through
// In-Reply-To or References, also across mailboxes.
func testObjectIDs(t *testing.T, open Opener) {
	e := openEnv(t, open, store.Options{})
	a := e.account("u")
	msg := func(id, extra, subject string) string {
		return "From: a@example.org\r\nSubject: " + subject + "\r\nMessage-ID: <" + id + ">\r\n" + extra + "\r\nbody\r\n"
	}
	appendMsg(t, a, "INBOX", msg("parent@x", "", "p"))
	appendMsg(t, a, "Sent", msg("reply@x", "In-Reply-To: <parent@x>\r\n", "r"))
	appendMsg(t, a, "INBOX", msg("deep@x", "References: <unknown@x> <parent@x> <reply@x>\r\n", "d"))
	appendMsg(t, a, "INBOX", msg("other@x", "References: <nowhere@x>\r\n", "o"))
	inbox := mailbox(t, a, "INBOX")
	in := snapshot(t, inbox).Messages
	sent := snapshot(t, mailbox(t, a, "Sent")).Messages
	parent, reply, deep, other := in[0], sent[0], in[1], in[2]
	if parent.EmailID == 0 || parent.ThreadID == 0 {
		t.Fatalf("no ids: %+v", parent)
	}
	if reply.ThreadID != parent.ThreadID || deep.ThreadID != parent.ThreadID {
		t.Fatalf("threads: parent %d, reply %d, deep %d", parent.ThreadID, reply.ThreadID, deep.ThreadID)
	}
	if other.ThreadID == parent.ThreadID {
		t.Fatalf("unrelated message joined thread %d", other.ThreadID)
	}
	ids := map[int64]bool{parent.EmailID: true, reply.EmailID: true, deep.EmailID: true, other.EmailID: true}
	if len(ids) != 4 {
		t.Fatalf("EMAILIDs not unique: %+v", ids)
	}
	res, err := inbox.Copy(e.ctx, []uint32{parent.UID}, "Archive")
	must(t, "copy", err)
	cp := snapshot(t, mailbox(t, a, "Archive")).Messages[0]
	if cp.UID != res.DestUIDs[0] || cp.EmailID != parent.EmailID || cp.ThreadID != parent.ThreadID {
		t.Fatalf("copy has ids %d/%d, source %d/%d", cp.EmailID, cp.ThreadID, parent.EmailID, parent.ThreadID)
	}
}

// testQuota checks RFC 9208 limits: usage counts every message (copies
// too), an append or copy over a limit fails and stores nothing, MOVE is
// not limited, and a user's own quota overrides the default.
func testQuota(t *testing.T, open Opener) {
	msg := testMessage("q", "0123456789")
	size := int64(len(msg))
	e := openEnv(t, open, store.Options{DefaultQuota: store.Quota{Messages: 3}})
	a := e.account("u")
	ctx := e.ctx
	for range 3 {
		appendMsg(t, a, "INBOX", msg)
	}
	q, u, err := a.Quota(ctx)
	must(t, "quota", err)
	if q != (store.Quota{Messages: 3}) || u != (store.Usage{Storage: 3 * size, Messages: 3}) {
		t.Fatalf("quota %+v usage %+v", q, u)
	}
	_, err = a.Append(ctx, "INBOX", store.AppendMessage{Body: strings.NewReader(msg), Size: size})
	if !errors.Is(err, store.ErrOverQuota) {
		t.Fatalf("append over the message limit: %v", err)
	}
	inbox := mailbox(t, a, "INBOX")
	if _, err := inbox.Copy(ctx, []uint32{1}, "Archive"); !errors.Is(err, store.ErrOverQuota) {
		t.Fatalf("copy over the limit: %v", err)
	}
	if _, err := inbox.Move(ctx, []uint32{1}, "Archive"); err != nil {
		t.Fatalf("move at the limit: %v", err)
	}
	if _, u, _ := a.Quota(ctx); u.Messages != 3 {
		t.Fatalf("usage after refused writes and a move: %+v", u)
	}
	// The user's own quota: storage only, room for exactly one more.
	must(t, "set quota", e.st.SetQuota(ctx, "u", &store.Quota{Storage: 4 * size}))
	appendMsg(t, a, "INBOX", msg)
	_, err = a.Append(ctx, "INBOX", store.AppendMessage{Body: strings.NewReader(msg), Size: size})
	if !errors.Is(err, store.ErrOverQuota) {
		t.Fatalf("append over the storage limit: %v", err)
	}
	ui, err := e.st.User(ctx, "u")
	must(t, "user", err)
	if ui.Quota == nil || *ui.Quota != (store.Quota{Storage: 4 * size}) {
		t.Fatalf("user quota %+v", ui.Quota)
	}
	// Expunging frees the space.
	_, err = inbox.StoreFlags(ctx, []uint32{2}, store.FlagsAdd, []string{`\Deleted`})
	must(t, "flag", err)
	st, err := a.Status(ctx, "INBOX")
	must(t, "status", err)
	if st.DeletedSize != size {
		t.Fatalf("DeletedSize %d, want %d", st.DeletedSize, size)
	}
	_, err = inbox.Expunge(ctx, []uint32{2})
	must(t, "expunge", err)
	appendMsg(t, a, "INBOX", msg)
	must(t, "clear quota", e.st.SetQuota(ctx, "u", nil))
	if ui, _ := e.st.User(ctx, "u"); ui.Quota != nil {
		t.Fatalf("quota after clearing: %+v", ui.Quota)
	}
}

// testMessagesSubset checks that Messages returns exactly the UIDs asked
// for that exist, whether they are dense (a range) or scattered.
func testMessagesSubset(t *testing.T, open Opener) {
	e := openEnv(t, open, store.Options{})
	a := e.account("u")
	for range 6 {
		appendMsg(t, a, "INBOX", testMessage("m", "b"))
	}
	mb := mailbox(t, a, "INBOX")
	for _, tc := range []struct{ ask, want []uint32 }{
		{[]uint32{1, 2, 4}, []uint32{1, 2, 4}},
		{[]uint32{2, 3, 4, 5, 6, 7, 8}, []uint32{2, 3, 4, 5, 6}},
		{[]uint32{1, 6, 1000}, []uint32{1, 6}},
		{[]uint32{9, 10}, nil},
	} {
		var got []uint32
		err := mb.Messages(e.ctx, tc.ask, store.WantStructure, func(md *store.MessageData) error {
			if md.Structure == nil {
				t.Errorf("UID %d without structure", md.UID)
			}
			got = append(got, md.UID)
			return nil
		})
		must(t, "messages", err)
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("Messages(%v) = %v, want %v", tc.ask, got, tc.want)
		}
	}
}
