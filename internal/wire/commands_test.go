package wire

import (
	"bufio"
	"reflect"
	"strings"
	"testing"
	"time"

	"petrel.dev/petrel/internal/imap"
)

func set(s string) imap.SeqSet {
	v, err := imap.ParseSeqSet(s)
	if err != nil {
		panic(err)
	}
	return v
}

func sp(s string) *string { return &s }

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// TestCommandArgs checks the typed arguments of every command form.
func TestCommandArgs(t *testing.T) {
	tests := []struct {
		in   string
		name string
		uid  bool
		args any
	}{
		{"a CAPABILITY", "CAPABILITY", false, nil},
		{"a noop", "NOOP", false, nil},
		{"a LOGOUT", "LOGOUT", false, nil},
		{"a STARTTLS", "STARTTLS", false, nil},
		{"a NAMESPACE", "NAMESPACE", false, nil},
		{"a IDLE", "IDLE", false, nil},
		{"a CHECK", "CHECK", false, nil},
		{"a CLOSE", "CLOSE", false, nil},
		{"a UNSELECT", "UNSELECT", false, nil},
		{"a EXPUNGE", "EXPUNGE", false, nil},
		{"a UID EXPUNGE 3:5,9", "EXPUNGE", true, &imap.ExpungeArgs{Set: set("3:5,9")}},

		// AUTHENTICATE, RFC 4959 SASL-IR.
		{"a AUTHENTICATE plain", "AUTHENTICATE", false, &imap.AuthenticateArgs{Mechanism: "PLAIN"}},
		{"a AUTHENTICATE PLAIN AGpvZQBzZWNyZXQ=", "AUTHENTICATE", false,
			&imap.AuthenticateArgs{Mechanism: "PLAIN", InitialResponse: []byte("\x00joe\x00secret"), HasIR: true}},
		{"a AUTHENTICATE EXTERNAL =", "AUTHENTICATE", false,
			&imap.AuthenticateArgs{Mechanism: "EXTERNAL", InitialResponse: []byte{}, HasIR: true}},
		{"a LOGIN joe secret", "LOGIN", false, &imap.LoginArgs{User: "joe", Password: "secret"}},
		{`a LOGIN "joe" "p w"`, "LOGIN", false, &imap.LoginArgs{User: "joe", Password: "p w"}},
		{"a ENABLE condstore UTF8=ACCEPT", "ENABLE", false, &imap.EnableArgs{Caps: []string{"CONDSTORE", "UTF8=ACCEPT"}}},
		{"a ID NIL", "ID", false, &imap.IDArgs{}},
		{"a ID ()", "ID", false, &imap.IDArgs{Params: map[string]*string{}}},
		{`a ID ("name" "mutt" "version" NIL)`, "ID", false,
			&imap.IDArgs{Params: map[string]*string{"name": sp("mutt"), "version": nil}}},

		// Mailboxes.
		{"a SELECT INBOX", "SELECT", false, &imap.SelectArgs{Mailbox: "INBOX"}},
		{"a EXAMINE Archive (CONDSTORE)", "EXAMINE", false, &imap.SelectArgs{Mailbox: "Archive", Params: []string{"CONDSTORE"}}},
		{"a SELECT x (QRESYNC (67890007 20050715194045000 41,43:211,214:541) condstore)", "SELECT", false,
			&imap.SelectArgs{Mailbox: "x", Params: []string{"QRESYNC", "CONDSTORE"}, QResync: &imap.QResyncParams{
				UIDValidity: 67890007, ModSeq: 20050715194045000,
				KnownUIDs: &imap.SeqSet{Ranges: []imap.SeqRange{{Start: 41, Stop: 41}, {Start: 43, Stop: 211}, {Start: 214, Stop: 541}}}}}},
		// RFC 7162 §3.2.5.2's example, with seq-match-data.
		{"a SELECT INBOX (QRESYNC (67890007 90060115194045000 1:29997 (5000,7500,9000,9990:9999 15000,22500,27000,29970,29973,29976,29979,29982,29985,29988,29991,29994,29997)))", "SELECT", false,
			&imap.SelectArgs{Mailbox: "INBOX", Params: []string{"QRESYNC"}, QResync: &imap.QResyncParams{
				UIDValidity: 67890007, ModSeq: 90060115194045000,
				KnownUIDs: &imap.SeqSet{Ranges: []imap.SeqRange{{Start: 1, Stop: 29997}}},
				SeqMatch:  true,
				KnownSeqs: imap.SeqSet{Ranges: []imap.SeqRange{{Start: 5000, Stop: 5000}, {Start: 7500, Stop: 7500}, {Start: 9000, Stop: 9000}, {Start: 9990, Stop: 9999}}},
				KnownSeqUIDs: imap.SeqSet{Ranges: []imap.SeqRange{{Start: 15000, Stop: 15000}, {Start: 22500, Stop: 22500}, {Start: 27000, Stop: 27000},
					{Start: 29970, Stop: 29970}, {Start: 29973, Stop: 29973}, {Start: 29976, Stop: 29976}, {Start: 29979, Stop: 29979},
					{Start: 29982, Stop: 29982}, {Start: 29985, Stop: 29985}, {Start: 29988, Stop: 29988}, {Start: 29991, Stop: 29991},
					{Start: 29994, Stop: 29994}, {Start: 29997, Stop: 29997}}}}}},
		{"a EXAMINE x (QRESYNC (1 2))", "EXAMINE", false,
			&imap.SelectArgs{Mailbox: "x", Params: []string{"QRESYNC"}, QResync: &imap.QResyncParams{UIDValidity: 1, ModSeq: 2}}},
		{"a CREATE Work/Sub", "CREATE", false, &imap.MailboxArgs{Mailbox: "Work/Sub"}},
		{`a CREATE Drafts (USE (\drafts \X-Own))`, "CREATE", false,
			&imap.MailboxArgs{Mailbox: "Drafts", SpecialUse: []string{`\Drafts`, `\X-Own`}}},
		{`a CREATE Empty (USE ())`, "CREATE", false, &imap.MailboxArgs{Mailbox: "Empty", SpecialUse: nil}},
		{"a DELETE x", "DELETE", false, &imap.MailboxArgs{Mailbox: "x"}},
		{"a SUBSCRIBE x", "SUBSCRIBE", false, &imap.MailboxArgs{Mailbox: "x"}},
		{"a UNSUBSCRIBE x", "UNSUBSCRIBE", false, &imap.MailboxArgs{Mailbox: "x"}},
		{`a RENAME old "new name"`, "RENAME", false, &imap.RenameArgs{From: "old", To: "new name"}},
		{"a STATUS inbox (MESSAGES UIDNEXT uidvalidity UNSEEN DELETED SIZE RECENT)", "STATUS", false,
			&imap.StatusArgs{Mailbox: "INBOX", Items: []imap.StatusItem{"MESSAGES", "UIDNEXT", "UIDVALIDITY", "UNSEEN", "DELETED", "SIZE", "RECENT"}}},
		{"a COPY 1:3 Trash", "COPY", false, &imap.CopyArgs{Set: set("1:3"), Mailbox: "Trash"}},
		{"a UID MOVE $ Trash", "MOVE", true, &imap.CopyArgs{Set: imap.SeqSet{Saved: true}, Mailbox: "Trash"}},
		{"a APPEND inbox", "APPEND", false, &imap.AppendArgs{Mailbox: "INBOX"}},

		// LIST and LSUB (RFC 5258, RFC 5819, RFC 6154).
		{`a LIST "" %`, "LIST", false, &imap.ListArgs{Patterns: []string{"%"}}},
		{`a LIST "" ""`, "LIST", false, &imap.ListArgs{Patterns: []string{""}}},
		{`a LIST ~/Mail/ Sent]*`, "LIST", false, &imap.ListArgs{Reference: "~/Mail/", Patterns: []string{"Sent]*"}}},
		{`a LIST "" Entw&APw-rfe/%`, "LIST", false, &imap.ListArgs{Patterns: []string{"Entwürfe/%"}}},
		{`a LIST (SUBSCRIBED RECURSIVEMATCH remote) "" (INBOX "Sent*")`, "LIST", false, &imap.ListArgs{
			Patterns: []string{"INBOX", "Sent*"}, Extended: true,
			Select: imap.ListSelect{Subscribed: true, RecursiveMatch: true, Remote: true}}},
		{`a LIST (SPECIAL-USE) "" *`, "LIST", false, &imap.ListArgs{
			Patterns: []string{"*"}, Extended: true, Select: imap.ListSelect{SpecialUse: true}}},
		{`a LIST () "" %`, "LIST", false, &imap.ListArgs{Patterns: []string{"%"}, Extended: true}},
		{`a LIST "" % RETURN (SUBSCRIBED CHILDREN SPECIAL-USE STATUS (MESSAGES UNSEEN))`, "LIST", false, &imap.ListArgs{
			Patterns: []string{"%"}, Extended: true,
			Return: imap.ListReturn{Subscribed: true, Children: true, SpecialUse: true, Status: []imap.StatusItem{"MESSAGES", "UNSEEN"}}}},
		{`a LIST "" % RETURN ()`, "LIST", false, &imap.ListArgs{Patterns: []string{"%"}, Extended: true}},
		{`a LSUB "" *`, "LSUB", false, &imap.ListArgs{Patterns: []string{"*"}}},

		// STORE.
		{`a STORE 1 FLAGS (\seen \ANSWERED $Label1)`, "STORE", false,
			&imap.StoreArgs{Set: set("1"), Flags: []string{`\Seen`, `\Answered`, "$Label1"}}},
		{`a STORE 1:* +FLAGS.SILENT \Deleted`, "STORE", false,
			&imap.StoreArgs{Set: set("1:*"), Mode: imap.StoreAdd, Silent: true, Flags: []string{`\Deleted`}}},
		{`a UID STORE 5 -flags \Flagged \Draft foo`, "STORE", true,
			&imap.StoreArgs{Set: set("5"), Mode: imap.StoreRemove, Flags: []string{`\Flagged`, `\Draft`, "foo"}}},
		{`a STORE 2 FLAGS ()`, "STORE", false, &imap.StoreArgs{Set: set("2"), Flags: []string{}}},
		{`a STORE 2 (UNCHANGEDSINCE 320162338) +FLAGS.SILENT (\Deleted)`, "STORE", false,
			&imap.StoreArgs{Set: set("2"), Mode: imap.StoreAdd, Silent: true, Flags: []string{`\Deleted`},
				Modifiers: map[string]uint64{"UNCHANGEDSINCE": 320162338}}},
		{`a STORE 2 FLAGS (\X-Custom)`, "STORE", false, &imap.StoreArgs{Set: set("2"), Flags: []string{`\X-Custom`}}},
	}
	for _, tt := range tests {
		h := newHarness(tt.in+"\r\n", DefaultLimits())
		cmd, err := h.d.ReadCommand()
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		if cmd.Tag != "a" || cmd.Name != tt.name || cmd.UID != tt.uid {
			t.Errorf("%q: got tag %q name %q uid %v", tt.in, cmd.Tag, cmd.Name, cmd.UID)
		}
		if !reflect.DeepEqual(cmd.Args, tt.args) {
			t.Errorf("%q:\n got  %#v\n want %#v", tt.in, cmd.Args, tt.args)
		}
		if tt.name != "APPEND" {
			if rest := h.rest(); rest != "" {
				t.Errorf("%q: left %q unread", tt.in, rest)
			}
		}
	}
}

// TestCommandErrors checks that malformed arguments give a tagged BAD (or
// NO) and that the decoder is in step again afterwards.
func TestCommandErrors(t *testing.T) {
	tests := []struct {
		in   string
		text string
	}{
		{"a AUTHENTICATE", "missing"},
		{"a AUTHENTICATE PLAIN !!!!", "base64"},
		{"a AUTHENTICATE PLAIN AGpvZQ", "base64"}, // missing padding
		{"a LOGIN joe", "missing"},
		{"a ENABLE", "missing"},
		{"a ID", "missing"},
		{"a ID foo", "NIL"},
		{`a ID ("name")`, "expected a single space"},
		{`a ID (name "x")`, "ID field name"},
		{`a ID ("` + strings.Repeat("f", 31) + `" "x")`, "longer than 30"},
		{`a ID ("f" "` + strings.Repeat("v", 1025) + `")`, "longer than 1024"},
		{"a ID (" + strings.Repeat(`"f" "v" `, 31) + `"f" "v")`, "at most 30"},
		{"a SELECT", "missing"},
		{"a SELECT x CONDSTORE", "parenthesised"},
		{"a SELECT x (CONDSTORE", "missing"},
		{"a SELECT x (QRESYNC (0 5))", "UIDVALIDITY must be positive"},
		{"a SELECT x (QRESYNC (1))", "expected"},
		{"a SELECT x (QRESYNC (1 2 3:4 5))", "malformed QRESYNC"},
		{"a CREATE x (FOO)", "unknown CREATE parameter"},
		{"a CREATE x (USE (Drafts))", "backslash"},
		{"a CREATE x (USE \\Drafts)", "parenthesised"},
		{"a RENAME x", "missing"},
		{"a STATUS x", "missing"},
		{"a STATUS x ()", "empty STATUS"},
		{"a STATUS x (MESSAGES FOO)", "unknown STATUS item"},
		{"a STATUS x MESSAGES", "parenthesised"},
		{"a COPY 1", "missing"},
		{"a COPY 0 x", "0"},
		{"a COPY 1:x y", "sequence set"},
		{"a COPY 4294967296 x", "out of range"},
		{"a UID EXPUNGE x", "sequence set"},
		{"a LIST", "missing"},
		{`a LIST ""`, "missing"},
		{`a LIST (RECURSIVEMATCH) "" *`, "RECURSIVEMATCH"},
		{`a LIST (RECURSIVEMATCH REMOTE) "" *`, "RECURSIVEMATCH"},
		{`a LIST (FOO) "" *`, "unknown LIST selection option"},
		{`a LIST "" * RETURN (FOO)`, "unknown LIST return option"},
		{`a LIST "" * RETURN`, "missing"},
		{`a LIST "" * FOO`, "expected RETURN"},
		{`a LIST "" ()`, "mailbox pattern"},
		{`a LIST "" (a`, "missing"},
		{`a LSUB ""`, "missing"},
		{`a LSUB "" a b`, "extra"},
		{"a STORE 1 FLAGS", "missing"},
		{"a STORE 1 FOO (x)", "unknown STORE data item"},
		{"a STORE 1 FLAGS (\\Seen", "missing"},
		{"a STORE 1 FLAGS (a(b)", "expected"},
		{"a STORE 1 FLAGS (\\)", "flag name after backslash"},
		{"a STORE 1 (FOO 1) FLAGS x", "unknown STORE modifier"},
		{"a STORE 1 (UNCHANGEDSINCE x) FLAGS x", "UNCHANGEDSINCE value"},
		{"a STORE 1 (UNCHANGEDSINCE 9223372036854775808) FLAGS x", "too large"},
		{"a APPEND", "missing"},
	}
	for _, tt := range tests {
		h := newHarness(tt.in+"\r\nz NOOP\r\n", DefaultLimits())
		cmd, err := h.d.ReadCommand()
		if err == nil {
			t.Errorf("%q: got %#v, want error", tt.in, cmd.Args)
			h.d.SkipCommand()
		} else if e := wantErr(t, err); e.Tag != "a" || e.Kind != "BAD" || e.Fatal || !strings.Contains(e.Text, tt.text) {
			t.Errorf("%q: error %+v, want BAD containing %q", tt.in, e, tt.text)
		}
		if next, err := h.d.ReadCommand(); err != nil || next.Tag != "z" {
			t.Errorf("%q: next command = %+v, %v; want z NOOP", tt.in, next, err)
		}
	}
}

func TestQuotaCommands(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want any
	}{
		{`a GETQUOTA ""`, &imap.QuotaArgs{Root: ""}},
		{`a GETQUOTA "#user/alice"`, &imap.QuotaArgs{Root: "#user/alice"}},
		{`a GETQUOTAROOT INBOX`, &imap.MailboxArgs{Mailbox: "INBOX"}},
		{`a SETQUOTA "" (STORAGE 512 message 10)`, &imap.QuotaArgs{Root: "", Limits: map[string]uint64{"STORAGE": 512, "MESSAGE": 10}}},
		{`a SETQUOTA x ()`, &imap.QuotaArgs{Root: "x", Limits: map[string]uint64{}}},
	} {
		d := NewDecoder(bufio.NewReader(strings.NewReader(tc.in+"\r\n")), func(string) error { return nil }, DefaultLimits())
		cmd, err := d.ReadCommand()
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if !reflect.DeepEqual(cmd.Args, tc.want) {
			t.Errorf("%s: args %#v, want %#v", tc.in, cmd.Args, tc.want)
		}
	}
	for _, in := range []string{"a GETQUOTA", "a SETQUOTA x", "a SETQUOTA x (STORAGE)", "a SETQUOTA x (STORAGE -1)"} {
		d := NewDecoder(bufio.NewReader(strings.NewReader(in+"\r\n")), func(string) error { return nil }, DefaultLimits())
		if _, err := d.ReadCommand(); err == nil {
			t.Errorf("%s: accepted", in)
		}
	}
}
