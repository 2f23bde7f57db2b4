package integration

// Tests with go-imap v2's imapclient: a third-party client library that
// parses every response strictly, over a real socket.

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

func TestClientMailboxes(t *testing.T) {
	forEachTarget(t, func(t *testing.T, s *server) {
		c := s.client(t, nil)
		// imapclient sends 8-bit mailbox names as UTF-8 whenever the server
		// advertises IMAP4rev2, and as modified UTF-7 otherwise. RFC 9051
		// Appendix A: with both revisions advertised, UTF-8 names are only
		// right after "ENABLE IMAP4rev2" (§5.1 then allows them).
		if c.Caps().Has(imap.CapIMAP4rev2) {
			if _, err := c.Enable(imap.CapIMAP4rev2).Wait(); err != nil {
				t.Fatalf("ENABLE IMAP4rev2: %v", err)
			}
		}
		boxes := mailboxNames(t, c)
		inbox, ok := boxes["INBOX"]
		if !ok {
			t.Fatalf("LIST * lacks INBOX: %v", boxes)
		}
		d := string(inbox.Delim)
		if d == "" || d == "\x00" {
			t.Fatalf("INBOX has no hierarchy delimiter")
		}

		// RFC 9051 §6.3.4: CREATE of a name with a trailing delimiter
		// creates the parent levels the server needs.
		for _, name := range []string{"Work", "Work" + d + "Sub", "Ünïcode"} {
			if err := c.Create(name, nil).Wait(); err != nil {
				t.Fatalf("CREATE %q: %v", name, err)
			}
		}
		if err := c.Create("Work", nil).Wait(); err == nil {
			t.Errorf("CREATE of an existing mailbox succeeded")
		}
		if err := c.Create("INBOX", nil).Wait(); err == nil {
			t.Errorf("CREATE INBOX succeeded")
		}
		boxes = mailboxNames(t, c)
		for _, name := range []string{"INBOX", "Work", "Work" + d + "Sub", "Ünïcode"} {
			if _, ok := boxes[name]; !ok {
				t.Errorf("LIST * lacks %q after CREATE; got %v", name, keys(boxes))
			}
		}

		// RFC 9051 §6.3.6: RENAME moves the inferior names too.
		if err := c.Rename("Work", "Jobs", nil).Wait(); err != nil {
			t.Fatalf("RENAME: %v", err)
		}
		boxes = mailboxNames(t, c)
		for _, gone := range []string{"Work", "Work" + d + "Sub"} {
			if _, ok := boxes[gone]; ok {
				t.Errorf("%q still listed after RENAME", gone)
			}
		}
		for _, name := range []string{"Jobs", "Jobs" + d + "Sub"} {
			if _, ok := boxes[name]; !ok {
				t.Errorf("%q not listed after RENAME; got %v", name, keys(boxes))
			}
		}
		if err := c.Rename("Nonexistent", "Other", nil).Wait(); err == nil {
			t.Errorf("RENAME of a missing mailbox succeeded")
		}

		// SUBSCRIBE then LIST (SUBSCRIBED) would need LIST-EXTENDED; LSUB
		// is rev1-only. Subscribe/unsubscribe must at least succeed.
		if err := c.Subscribe("Jobs").Wait(); err != nil {
			t.Errorf("SUBSCRIBE: %v", err)
		}
		if err := c.Unsubscribe("Jobs").Wait(); err != nil {
			t.Errorf("UNSUBSCRIBE: %v", err)
		}

		if err := c.Delete("Jobs" + d + "Sub").Wait(); err != nil {
			t.Fatalf("DELETE: %v", err)
		}
		if err := c.Delete("Ünïcode").Wait(); err != nil {
			t.Fatalf("DELETE: %v", err)
		}
		if err := c.Delete("INBOX").Wait(); err == nil {
			t.Errorf("DELETE INBOX succeeded")
		}
		boxes = mailboxNames(t, c)
		if _, ok := boxes["Jobs"+d+"Sub"]; ok {
			t.Errorf("deleted mailbox still listed")
		}
		if _, ok := boxes["Ünïcode"]; ok {
			t.Errorf("deleted mailbox still listed")
		}

		// A pattern with % does not descend (RFC 9051 §6.3.9).
		if err := c.Create("Jobs"+d+"Deep", nil).Wait(); err != nil {
			t.Fatalf("CREATE: %v", err)
		}
		top, err := c.List("", "%", nil).Collect()
		if err != nil {
			t.Fatalf("LIST %%: %v", err)
		}
		for _, l := range top {
			if strings.Contains(l.Mailbox, d) {
				t.Errorf("LIST %% returned inferior %q", l.Mailbox)
			}
		}
	})
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestClientAppendFetch(t *testing.T) {
	forEachTarget(t, func(t *testing.T, s *server) {
		c := s.client(t, nil)
		date := time.Date(2021, 7, 9, 13, 14, 15, 0, time.FixedZone("", 2*3600))
		app := appendMsg(t, c, "INBOX", reportMsg, []imap.Flag{imap.FlagFlagged, "$Report"}, date)
		if app.UID == 0 || app.UIDValidity == 0 {
			t.Errorf("APPEND gave no APPENDUID: %+v", app)
		}
		sel := selectBox(t, c, "INBOX")
		if sel.NumMessages != 1 {
			t.Fatalf("SELECT: %d messages, want 1", sel.NumMessages)
		}
		if sel.UIDValidity != app.UIDValidity {
			t.Errorf("SELECT UIDVALIDITY %d, APPENDUID said %d", sel.UIDValidity, app.UIDValidity)
		}

		msgs := fetchAll(t, c, imap.SeqSetNum(1), &imap.FetchOptions{
			Flags: true, Envelope: true, InternalDate: true, RFC822Size: true, UID: true,
			BodyStructure: &imap.FetchItemBodyStructure{Extended: true},
		})
		if len(msgs) != 1 {
			t.Fatalf("FETCH returned %d messages", len(msgs))
		}
		m := msgs[0]
		if m.UID != app.UID {
			t.Errorf("UID %d, APPENDUID %d", m.UID, app.UID)
		}
		if !hasFlag(m.Flags, imap.FlagFlagged) || !hasFlag(m.Flags, "$Report") || hasFlag(m.Flags, imap.FlagSeen) {
			t.Errorf("FLAGS %v, want \\Flagged $Report and not \\Seen", m.Flags)
		}
		if !m.InternalDate.Equal(date) {
			t.Errorf("INTERNALDATE %v, want %v", m.InternalDate, date)
		}
		if m.RFC822Size != int64(len(reportMsg)) {
			t.Errorf("RFC822.SIZE %d, want %d", m.RFC822Size, len(reportMsg))
		}
		env := m.Envelope
		if env == nil {
			t.Fatal("no ENVELOPE")
		}
		if env.Subject != "Quarterly report" || env.MessageID != "report-1@example.org" {
			t.Errorf("ENVELOPE subject %q message-id %q", env.Subject, env.MessageID)
		}
		if len(env.From) != 1 || env.From[0].Name != "Alice Example" || env.From[0].Addr() != "alice@example.org" {
			t.Errorf("ENVELOPE from %+v", env.From)
		}
		// RFC 9051 §7.5.2: sender and reply-to default to from.
		if len(env.Sender) != 1 || env.Sender[0].Addr() != "alice@example.org" ||
			len(env.ReplyTo) != 1 || env.ReplyTo[0].Addr() != "alice@example.org" {
			t.Errorf("ENVELOPE sender %+v reply-to %+v, want from", env.Sender, env.ReplyTo)
		}
		if len(env.To) != 1 || env.To[0].Addr() != "bob@example.net" || len(env.Cc) != 1 || env.Cc[0].Addr() != "carol@example.com" {
			t.Errorf("ENVELOPE to %+v cc %+v", env.To, env.Cc)
		}
		if want := time.Date(2006, 1, 2, 22, 4, 5, 0, time.UTC); !env.Date.Equal(want) {
			t.Errorf("ENVELOPE date %v, want %v", env.Date, want)
		}

		mp, ok := m.BodyStructure.(*imap.BodyStructureMultiPart)
		if !ok {
			t.Fatalf("BODYSTRUCTURE %T, want multipart", m.BodyStructure)
		}
		if !strings.EqualFold(mp.Subtype, "mixed") || len(mp.Children) != 2 {
			t.Fatalf("BODYSTRUCTURE multipart/%s with %d children", mp.Subtype, len(mp.Children))
		}
		if mp.Extended == nil || mp.Extended.Params["boundary"] != "XYZ" {
			t.Errorf("BODYSTRUCTURE multipart extension %+v, want boundary XYZ", mp.Extended)
		}
		p1, ok1 := mp.Children[0].(*imap.BodyStructureSinglePart)
		p2, ok2 := mp.Children[1].(*imap.BodyStructureSinglePart)
		if !ok1 || !ok2 {
			t.Fatalf("BODYSTRUCTURE children %T %T", mp.Children[0], mp.Children[1])
		}
		if p1.MediaType() != "text/plain" || !strings.EqualFold(p1.Params["charset"], "utf-8") || p1.Size != uint32(len(reportPart1)) {
			t.Errorf("part 1: %s %v size %d", p1.MediaType(), p1.Params, p1.Size)
		}
		if p1.Text == nil || p1.Text.NumLines != 1 {
			t.Errorf("part 1 lines: %+v", p1.Text)
		}
		if p2.MediaType() != "application/octet-stream" || !strings.EqualFold(p2.Encoding, "base64") || p2.Params["name"] != "data.bin" {
			t.Errorf("part 2: %s enc %s params %v", p2.MediaType(), p2.Encoding, p2.Params)
		}

		// Peeked sections leave \Seen alone.
		whole := &imap.FetchItemBodySection{Peek: true}
		part1 := &imap.FetchItemBodySection{Part: []int{1}, Peek: true}
		partial := &imap.FetchItemBodySection{Peek: true, Partial: &imap.SectionPartial{Offset: 0, Size: 10}}
		header := &imap.FetchItemBodySection{Peek: true, Specifier: imap.PartSpecifierHeader, HeaderFields: []string{"Subject"}}
		bin := &imap.FetchItemBinarySection{Part: []int{2}, Peek: true}
		msgs = fetchAll(t, c, imap.SeqSetNum(1), &imap.FetchOptions{
			Flags:             true,
			BodySection:       []*imap.FetchItemBodySection{whole, part1, partial, header},
			BinarySection:     []*imap.FetchItemBinarySection{bin},
			BinarySectionSize: []*imap.FetchItemBinarySectionSize{{Part: []int{2}}},
		})
		m = msgs[0]
		if got := string(m.FindBodySection(whole)); got != reportMsg {
			t.Errorf("BODY[] = %q, want the appended message", got)
		}
		if got := string(m.FindBodySection(part1)); got != reportPart1 {
			t.Errorf("BODY[1] = %q, want %q", got, reportPart1)
		}
		if got := string(m.FindBodySection(partial)); got != reportMsg[:10] {
			t.Errorf("BODY[]<0.10> = %q, want %q", got, reportMsg[:10])
		}
		if got := string(m.FindBodySection(header)); got != "Subject: Quarterly report\r\n\r\n" {
			t.Errorf("BODY[HEADER.FIELDS (Subject)] = %q", got)
		}
		if got := m.FindBinarySection(bin); !bytes.Equal(got, []byte{0, 1, 2, 3, 4}) {
			t.Errorf("BINARY[2] = %q, want 00..04", got)
		}
		if n, ok := m.FindBinarySectionSize([]int{2}); !ok || n != 5 {
			t.Errorf("BINARY.SIZE[2] = %d (%v), want 5", n, ok)
		}
		if hasFlag(m.Flags, imap.FlagSeen) {
			t.Errorf("BODY.PEEK set \\Seen")
		}

		// RFC 9051 §6.4.5: a non-peek BODY[] sets \Seen.
		text := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierText}
		fetchAll(t, c, imap.SeqSetNum(1), &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{text}})
		msgs = fetchAll(t, c, imap.SeqSetNum(1), &imap.FetchOptions{Flags: true})
		if !hasFlag(msgs[0].Flags, imap.FlagSeen) {
			t.Errorf("BODY[TEXT] did not set \\Seen: %v", msgs[0].Flags)
		}

		// A message whose bytes are not plain ASCII must come back verbatim.
		raw := crlf("Subject: =?utf-8?q?caf=C3=A9?=\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\ncafé ☕\n")
		app2 := appendMsg(t, c, "INBOX", raw, nil, time.Time{})
		msgs, err := c.Fetch(imap.UIDSetNum(app2.UID), &imap.FetchOptions{
			Envelope: true, BodySection: []*imap.FetchItemBodySection{whole},
		}).Collect()
		if err != nil || len(msgs) != 1 {
			t.Fatalf("UID FETCH: %v (%d messages)", err, len(msgs))
		}
		if got := string(msgs[0].FindBodySection(whole)); got != raw {
			t.Errorf("8-bit BODY[] = %q, want %q", got, raw)
		}
		if msgs[0].Envelope == nil || msgs[0].Envelope.Subject != "café" {
			t.Errorf("decoded subject %+v, want café", msgs[0].Envelope)
		}
	})
}

func TestClientStoreSearch(t *testing.T) {
	forEachTarget(t, func(t *testing.T, s *server) {
		c := s.client(t, nil)
		var uids []imap.UID
		for i, subj := range []string{"apple pie", "banana bread", "cherry tart"} {
			app := appendMsg(t, c, "INBOX", simpleMsg(subj, fmt.Sprintf("recipe number %d", i+1)), nil, time.Time{})
			uids = append(uids, app.UID)
		}
		selectBox(t, c, "INBOX")

		// +FLAGS answers with the new flags (RFC 9051 §6.4.6).
		got, err := c.Store(imap.SeqSetNum(1, 3), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagFlagged, "$Todo"}}, nil).Collect()
		if err != nil {
			t.Fatalf("STORE +FLAGS: %v", err)
		}
		if len(got) != 2 {
			t.Errorf("STORE +FLAGS returned %d FETCH responses, want 2", len(got))
		}
		for _, m := range got {
			if !hasFlag(m.Flags, imap.FlagFlagged) || !hasFlag(m.Flags, "$Todo") {
				t.Errorf("STORE +FLAGS answered %d %v", m.SeqNum, m.Flags)
			}
		}
		// -FLAGS.SILENT answers nothing about the messages it changed.
		got, err = c.Store(imap.SeqSetNum(3), &imap.StoreFlags{Op: imap.StoreFlagsDel, Silent: true, Flags: []imap.Flag{"$Todo"}}, nil).Collect()
		if err != nil {
			t.Fatalf("STORE -FLAGS.SILENT: %v", err)
		}
		if len(got) != 0 {
			t.Errorf("STORE -FLAGS.SILENT returned FETCH responses: %+v", got[0])
		}
		msgs := fetchAll(t, c, imap.SeqSetNum(3), &imap.FetchOptions{Flags: true})
		if !hasFlag(msgs[0].Flags, imap.FlagFlagged) || hasFlag(msgs[0].Flags, "$Todo") {
			t.Errorf("after -FLAGS.SILENT: %v", msgs[0].Flags)
		}
		// FLAGS replaces.
		if err := c.Store(imap.SeqSetNum(2), &imap.StoreFlags{Op: imap.StoreFlagsSet, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close(); err != nil {
			t.Fatalf("STORE FLAGS: %v", err)
		}

		tests := []struct {
			name string
			crit imap.SearchCriteria
			want []uint32
		}{
			{"ALL", imap.SearchCriteria{}, []uint32{1, 2, 3}},
			{"FLAGGED", imap.SearchCriteria{Flag: []imap.Flag{imap.FlagFlagged}}, []uint32{1, 3}},
			{"KEYWORD $Todo", imap.SearchCriteria{Flag: []imap.Flag{"$Todo"}}, []uint32{1}},
			{"UNSEEN", imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen}}, []uint32{1, 3}},
			{"HEADER Subject", imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Subject", Value: "BANANA"}}}, []uint32{2}},
			{"SUBJECT via header substring", imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Subject", Value: "ta"}}}, []uint32{3}},
			{"TEXT body", imap.SearchCriteria{Text: []string{"number 2"}}, []uint32{2}},
			{"BODY", imap.SearchCriteria{Body: []string{"RECIPE"}}, []uint32{1, 2, 3}},
			{"OR", imap.SearchCriteria{Or: [][2]imap.SearchCriteria{{{Text: []string{"apple"}}, {Text: []string{"cherry"}}}}}, []uint32{1, 3}},
			{"NOT", imap.SearchCriteria{Not: []imap.SearchCriteria{{Flag: []imap.Flag{imap.FlagFlagged}}}}, []uint32{2}},
			{"UID set", imap.SearchCriteria{UID: []imap.UIDSet{imap.UIDSetNum(uids[1], uids[2])}}, []uint32{2, 3}},
			{"seq set", imap.SearchCriteria{SeqNum: []imap.SeqSet{imap.SeqSetNum(2)}}, []uint32{2}},
			{"LARGER", imap.SearchCriteria{Larger: 100000}, nil},
		}
		for _, tt := range tests {
			if got := searchSeq(t, c, &tt.crit); !equalU32(got, tt.want) {
				t.Errorf("SEARCH %s = %v, want %v", tt.name, got, tt.want)
			}
		}

		// UID SEARCH answers UIDs.
		data, err := c.UIDSearch(&imap.SearchCriteria{Flag: []imap.Flag{imap.FlagFlagged}}, nil).Wait()
		if err != nil {
			t.Fatalf("UID SEARCH: %v", err)
		}
		if got, want := data.AllUIDs(), []imap.UID{uids[0], uids[2]}; !slices.Equal(got, want) {
			t.Errorf("UID SEARCH FLAGGED = %v, want %v", got, want)
		}
	})
}

func TestClientCopyMoveExpunge(t *testing.T) {
	forEachTarget(t, func(t *testing.T, s *server) {
		c := s.client(t, nil)
		if err := c.Create("Test-Archive", nil).Wait(); err != nil {
			t.Fatalf("CREATE: %v", err)
		}
		var uids []imap.UID
		var size int64
		for i := range 5 {
			msg := simpleMsg(fmt.Sprintf("message %d", i+1), "body")
			size += int64(len(msg))
			uids = append(uids, appendMsg(t, c, "INBOX", msg, nil, time.Time{}).UID)
		}

		st, err := c.Status("INBOX", &imap.StatusOptions{NumMessages: true, UIDNext: true, UIDValidity: true, NumUnseen: true, Size: true}).Wait()
		if err != nil {
			t.Fatalf("STATUS: %v", err)
		}
		if st.NumMessages == nil || *st.NumMessages != 5 || st.NumUnseen == nil || *st.NumUnseen != 5 {
			t.Errorf("STATUS messages %v unseen %v, want 5 5", ptr(st.NumMessages), ptr(st.NumUnseen))
		}
		if st.UIDNext <= uids[4] || st.UIDValidity == 0 {
			t.Errorf("STATUS uidnext %d (last uid %d) uidvalidity %d", st.UIDNext, uids[4], st.UIDValidity)
		}
		if st.Size == nil || *st.Size != size {
			t.Errorf("STATUS SIZE %v, want %d", ptr(st.Size), size)
		}

		selectBox(t, c, "INBOX")
		cp, err := c.Copy(imap.SeqSetNum(1, 2), "Test-Archive").Wait()
		if err != nil {
			t.Fatalf("COPY: %v", err)
		}
		if cp.UIDValidity == 0 {
			t.Errorf("COPY gave no COPYUID")
		}
		if _, err := c.Copy(imap.SeqSetNum(1), "Nonexistent").Wait(); err == nil {
			t.Errorf("COPY to a missing mailbox succeeded")
		}

		// MOVE: messages 3 and 4 leave INBOX (RFC 6851 / RFC 9051 §6.4.8).
		var expunged []uint32
		mv, err := c.Move(imap.SeqSetNum(3, 4), "Test-Archive").Wait()
		if err != nil {
			t.Fatalf("MOVE: %v", err)
		}
		if mv.UIDValidity == 0 {
			t.Errorf("MOVE gave no COPYUID")
		}
		if n := c.Mailbox().NumMessages; n != 3 {
			t.Errorf("after MOVE of 2 of 5: %d messages", n)
		}
		st, err = c.Status("Test-Archive", &imap.StatusOptions{NumMessages: true}).Wait()
		if err != nil || st.NumMessages == nil || *st.NumMessages != 4 {
			t.Errorf("STATUS Archive after COPY 2 + MOVE 2: %v %v", ptr(st.NumMessages), err)
		}

		// INBOX now: uids[0], uids[1], uids[4]. Delete 1 and 3, EXPUNGE.
		if err := c.Store(imap.SeqSetNum(1, 3), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
			t.Fatalf("STORE \\Deleted: %v", err)
		}
		expunged, err = c.Expunge().Collect()
		if err != nil {
			t.Fatalf("EXPUNGE: %v", err)
		}
		// RFC 9051 §7.5.1: each EXPUNGE renumbers the rest, so deleting
		// 1 and 3 reads "3, 1" or "1, 2".
		if !equalU32(expunged, []uint32{3, 1}) && !equalU32(expunged, []uint32{1, 2}) {
			t.Errorf("EXPUNGE responses %v, want [3 1] or [1 2]", expunged)
		}
		msgs := fetchAll(t, c, imap.SeqSetNum(1), &imap.FetchOptions{UID: true})
		if len(msgs) != 1 || msgs[0].UID != uids[1] {
			t.Errorf("left in INBOX: %+v, want uid %d", msgs, uids[1])
		}

		// UID EXPUNGE removes only the given UIDs (RFC 9051 §6.4.9).
		selectBox(t, c, "Test-Archive")
		all := fetchAll(t, c, imap.SeqSetNum(1, 2, 3, 4), &imap.FetchOptions{UID: true})
		if len(all) != 4 {
			t.Fatalf("Archive has %d messages", len(all))
		}
		if err := c.Store(imap.SeqSetNum(1, 2), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
			t.Fatalf("STORE: %v", err)
		}
		expunged, err = c.UIDExpunge(imap.UIDSetNum(all[1].UID)).Collect()
		if err != nil {
			t.Fatalf("UID EXPUNGE: %v", err)
		}
		if !equalU32(expunged, []uint32{2}) {
			t.Errorf("UID EXPUNGE responses %v, want [2]", expunged)
		}
		if n := c.Mailbox().NumMessages; n != 3 {
			t.Errorf("after UID EXPUNGE: %d messages, want 3", n)
		}
		// CLOSE expunges the remaining \Deleted message silently.
		if err := c.UnselectAndExpunge().Wait(); err != nil {
			t.Fatalf("CLOSE: %v", err)
		}
		st, err = c.Status("Test-Archive", &imap.StatusOptions{NumMessages: true}).Wait()
		if err != nil || st.NumMessages == nil || *st.NumMessages != 2 {
			t.Errorf("STATUS Archive after CLOSE: %v %v, want 2", ptr(st.NumMessages), err)
		}
	})
}

func ptr[T any](p *T) any {
	if p == nil {
		return "<nil>"
	}
	return *p
}

func TestClientIdle(t *testing.T) {
	forEachTarget(t, func(t *testing.T, s *server) {
		exists := make(chan uint32, 16)
		var appended atomic.Int64 // UnixNano of B's APPEND completion
		a := s.client(t, &imapclient.Options{UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(d *imapclient.UnilateralDataMailbox) {
				if d.NumMessages != nil {
					select { // never block the client's reader
					case exists <- *d.NumMessages:
					default:
					}
				}
			},
		}})
		b := s.client(t, nil)
		selectBox(t, a, "INBOX")
		idle, err := a.Idle()
		if err != nil {
			t.Fatalf("IDLE: %v", err)
		}
		// Let the server process IDLE before B appends.
		time.Sleep(100 * time.Millisecond)
		start := time.Now()
		appendMsg(t, b, "INBOX", simpleMsg("wake up", "now"), nil, time.Time{})
		appended.Store(time.Now().UnixNano())
		select {
		case n := <-exists:
			if n != 1 {
				t.Errorf("IDLE: * %d EXISTS, want 1", n)
			}
			t.Logf("%s: EXISTS reached the idling client %v after APPEND started (%v after it completed)",
				s.Kind, time.Since(start), time.Duration(time.Now().UnixNano()-appended.Load()))
		case <-time.After(2 * time.Second):
			t.Errorf("IDLE: no EXISTS within 2s of another session's APPEND")
		}
		if err := idle.Close(); err != nil {
			t.Fatalf("DONE: %v", err)
		}
		if err := idle.Wait(); err != nil {
			t.Fatalf("IDLE completion: %v", err)
		}
		if err := a.Noop().Wait(); err != nil {
			t.Errorf("NOOP after IDLE: %v", err)
		}
	})
}

func TestClientNamespaceEnableUnselect(t *testing.T) {
	forEachTarget(t, func(t *testing.T, s *server) {
		c := s.client(t, nil)
		ns, err := c.Namespace().Wait()
		if err != nil {
			t.Fatalf("NAMESPACE: %v", err)
		}
		if len(ns.Personal) == 0 {
			t.Errorf("NAMESPACE: no personal namespace")
		}
		caps, err := c.Capability().Wait()
		if err != nil {
			t.Fatalf("CAPABILITY: %v", err)
		}
		if !caps.Has(imap.CapIMAP4rev1) && !caps.Has(imap.CapIMAP4rev2) {
			t.Errorf("CAPABILITY has neither IMAP4rev1 nor IMAP4rev2: %v", caps)
		}
		if caps.Has(imap.CapIMAP4rev2) {
			en, err := c.Enable(imap.CapIMAP4rev2).Wait()
			if err != nil {
				t.Fatalf("ENABLE IMAP4rev2: %v", err)
			}
			if !en.Caps.Has(imap.CapIMAP4rev2) {
				t.Errorf("ENABLE IMAP4rev2 answered %v", en.Caps)
			}
		}
		// ENABLE of unknown extensions: see TestRawEnable (imapclient
		// refuses to send it).

		appendMsg(t, c, "INBOX", simpleMsg("keep me", "x"), []imap.Flag{imap.FlagDeleted}, time.Time{})
		selectBox(t, c, "INBOX")
		// UNSELECT does not expunge (RFC 9051 §6.4.2).
		if err := c.Unselect().Wait(); err != nil {
			t.Fatalf("UNSELECT: %v", err)
		}
		if err := c.Noop().Wait(); err != nil {
			t.Fatalf("NOOP: %v", err)
		}
		if err := c.Fetch(imap.SeqSetNum(1), &imap.FetchOptions{Flags: true}).Close(); err == nil {
			t.Errorf("FETCH with no mailbox selected succeeded")
		}
		st, err := c.Status("INBOX", &imap.StatusOptions{NumMessages: true}).Wait()
		if err != nil || st.NumMessages == nil || *st.NumMessages != 1 {
			t.Errorf("STATUS after UNSELECT: %v %v, want 1 message", ptr(st.NumMessages), err)
		}
		// EXAMINE is read-only: CLOSE after it must not expunge either.
		if _, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
			t.Fatalf("EXAMINE: %v", err)
		}
		if err := c.UnselectAndExpunge().Wait(); err != nil {
			t.Fatalf("CLOSE: %v", err)
		}
		st, err = c.Status("INBOX", &imap.StatusOptions{NumMessages: true}).Wait()
		if err != nil || st.NumMessages == nil || *st.NumMessages != 1 {
			t.Errorf("STATUS after EXAMINE+CLOSE: %v %v, want 1 message", ptr(st.NumMessages), err)
		}
		selectBox(t, c, "INBOX")
		if err := c.UnselectAndExpunge().Wait(); err != nil {
			t.Fatalf("CLOSE: %v", err)
		}
		st, err = c.Status("INBOX", &imap.StatusOptions{NumMessages: true}).Wait()
		if err != nil || st.NumMessages == nil || *st.NumMessages != 0 {
			t.Errorf("STATUS after SELECT+CLOSE: %v %v, want 0 messages", ptr(st.NumMessages), err)
		}
		if err := c.Logout().Wait(); err != nil {
			t.Errorf("LOGOUT: %v", err)
		}
	})
}

func TestClientTLS(t *testing.T) {
	forEachTarget(t, func(t *testing.T, s *server) {
		opts := &imapclient.Options{TLSConfig: insecureTLS()}
		// Implicit TLS (RFC 8314 §3.2) on the IMAPS port.
		c, err := imapclient.DialTLS(s.TLSAddr, opts)
		if err != nil {
			t.Fatalf("IMAPS dial %s: %v", s.TLSAddr, err)
		}
		defer c.Close()
		if err := c.Login(s.User, s.Pass).Wait(); err != nil {
			t.Fatalf("LOGIN over IMAPS: %v", err)
		}
		if err := c.Logout().Wait(); err != nil {
			t.Errorf("LOGOUT over IMAPS: %v", err)
		}

		// STARTTLS on the plain port (RFC 9051 §6.2.1); afterwards the
		// server must not offer STARTTLS again.
		c2, err := imapclient.DialStartTLS(s.Addr, opts)
		if err != nil {
			t.Fatalf("STARTTLS on %s: %v", s.Addr, err)
		}
		defer c2.Close()
		caps, err := c2.Capability().Wait()
		if err != nil {
			t.Fatalf("CAPABILITY after STARTTLS: %v", err)
		}
		if caps.Has(imap.CapStartTLS) {
			t.Errorf("STARTTLS still offered after TLS: %v", caps)
		}
		if err := c2.Login(s.User, s.Pass).Wait(); err != nil {
			t.Fatalf("LOGIN after STARTTLS: %v", err)
		}
		selectBox(t, c2, "INBOX")
	})
}

// TestClientIdleTLS idles over implicit TLS, as most mail clients do: the
// server interrupts its wait for DONE inside crypto/tls for each change,
// and the TLS stream must survive every interruption.
func TestClientIdleTLS(t *testing.T) {
	forEachTarget(t, func(t *testing.T, s *server) {
		exists := make(chan uint32, 16)
		a, err := imapclient.DialTLS(s.TLSAddr, &imapclient.Options{
			TLSConfig: insecureTLS(),
			UnilateralDataHandler: &imapclient.UnilateralDataHandler{
				Mailbox: func(d *imapclient.UnilateralDataMailbox) {
					if d.NumMessages != nil {
						select {
						case exists <- *d.NumMessages:
						default:
						}
					}
				},
			},
		})
		if err != nil {
			t.Fatalf("IMAPS dial %s: %v", s.TLSAddr, err)
		}
		defer a.Close()
		if err := a.Login(s.User, s.Pass).Wait(); err != nil {
			t.Fatalf("LOGIN over IMAPS: %v", err)
		}
		b := s.client(t, nil)
		sel := selectBox(t, a, "INBOX")
		idle, err := a.Idle()
		if err != nil {
			t.Fatalf("IDLE: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
		for i := uint32(1); i <= 3; i++ {
			appendMsg(t, b, "INBOX", simpleMsg(fmt.Sprintf("tls wake %d", i), "now"), nil, time.Time{})
			want := sel.NumMessages + i
			deadline := time.After(3 * time.Second)
		wait:
			for {
				select {
				case n := <-exists:
					if n == want {
						break wait
					}
				case <-deadline:
					t.Fatalf("IDLE over TLS: no * %d EXISTS within 3s of APPEND %d", want, i)
				}
			}
		}
		if err := idle.Close(); err != nil {
			t.Fatalf("DONE: %v", err)
		}
		if err := idle.Wait(); err != nil {
			t.Fatalf("IDLE completion over TLS: %v", err)
		}
		if err := a.Noop().Wait(); err != nil {
			t.Errorf("NOOP after IDLE over TLS: %v", err)
		}
	})
}
