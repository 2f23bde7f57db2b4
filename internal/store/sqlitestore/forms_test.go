package sqlitestore

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/binary"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"petrel.dev/petrel/internal/message"
	"petrel.dev/petrel/internal/store"
)

var formsMsgs = []string{
	"From: A <a@example.org>\r\nSubject: one\r\n\r\nbody\r\n",
	"From: b@example.org\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n" +
		"--x\r\n\r\ntext\r\n--x\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\nin\r\n--x--\r\n",
	"Subject: three\r\nTo: g: c@example.org;\r\n\r\nbody\r\n",
	"Subject: four\r\n\r\nbody\r\n",
}

// modelOf parses msg and returns its version 2 and version 1 encodings
// (version 1 is version 2 without the three forms after the version
// byte) and its forms.
func modelOf(t *testing.T, msg string) (v2, v1 []byte, forms [3][]byte) {
	t.Helper()
	m, err := message.Parse(strings.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	v2 = m.Marshal()
	rest := v2[1:]
	for range 3 {
		n, k := binary.Uvarint(rest)
		rest = rest[k+int(n):]
	}
	v1 = append([]byte{1}, rest...)
	forms = [3][]byte{message.AppendEnvelope(nil, m.Root.Envelope),
		message.AppendBodyStructure(nil, m.Root, false), message.AppendBodyStructure(nil, m.Root, true)}
	return v2, v1, forms
}

// rawDB opens an account's mail.db directly, as another program would.
func rawDB(t *testing.T, dir, user string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(dir, "accounts", user, "mail.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Rows stored before the forms tables, rows without forms, NULL forms and
// version 1 models are all served with the right forms; a model that does
// not decode is an error, not a panic.
func TestFormsFallback(t *testing.T) {
	ctx := context.Background()
	s, dir := openTest(t)
	acc, err := s.OpenAccount(ctx, "u")
	if err != nil {
		t.Fatal(err)
	}
	var want [][3][]byte
	for _, msg := range formsMsgs {
		appendString(t, acc, "INBOX", msg)
		_, _, f := modelOf(t, msg)
		want = append(want, f)
	}
	db := rawDB(t, dir, "u")
	_, v1, _ := modelOf(t, formsMsgs[1])
	for _, q := range []struct {
		sql  string
		args []any
	}{
		// UID 1: no forms rows, as a file stored before them.
		{`DELETE FROM envelopes WHERE file_id = (SELECT file_id FROM messages WHERE uid = 1)`, nil},
		{`DELETE FROM bodies WHERE file_id = (SELECT file_id FROM messages WHERE uid = 1)`, nil},
		// UID 2: a version 1 model and no forms.
		{`UPDATE files SET structure = ? WHERE id = (SELECT file_id FROM messages WHERE uid = 2)`, []any{v1}},
		{`DELETE FROM envelopes WHERE file_id = (SELECT file_id FROM messages WHERE uid = 2)`, nil},
		{`DELETE FROM bodies WHERE file_id = (SELECT file_id FROM messages WHERE uid = 2)`, nil},
		// UID 3: NULL forms, as petrel_form gives for a model it cannot decode.
		{`UPDATE envelopes SET envelope = NULL WHERE file_id = (SELECT file_id FROM messages WHERE uid = 3)`, nil},
		{`UPDATE bodies SET bodystructure = NULL WHERE file_id = (SELECT file_id FROM messages WHERE uid = 3)`, nil},
	} {
		if _, err := db.ExecContext(ctx, q.sql, q.args...); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}
	mb, err := acc.Mailbox(ctx, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []store.Want{
		store.WantEnvelope | store.WantBodyStructure,
		store.WantEnvelope | store.WantUIDOnly,
		store.WantBodyStructure | store.WantStructure,
	} {
		n := 0
		err := mb.Messages(ctx, []uint32{1, 2, 3, 4}, w, func(d *store.MessageData) error {
			n++
			f := want[d.UID-1]
			if w&store.WantEnvelope != 0 && !bytes.Equal(d.Envelope, f[0]) {
				t.Errorf("want %b, UID %d: ENVELOPE %s, want %s", w, d.UID, d.Envelope, f[0])
			}
			if w&store.WantBodyStructure != 0 && (!bytes.Equal(d.Body, f[1]) || !bytes.Equal(d.BodyStructure, f[2])) {
				t.Errorf("want %b, UID %d: BODY %s BODYSTRUCTURE %s", w, d.UID, d.Body, d.BodyStructure)
			}
			if w&store.WantStructure == 0 && d.Structure != nil {
				t.Errorf("want %b, UID %d: unwanted structure", w, d.UID)
			}
			return nil
		})
		if err != nil || n != 4 {
			t.Fatalf("want %b: %d messages, %v", w, n, err)
		}
	}
	// A model that decodes neither way, without forms: an error.
	if _, err := db.ExecContext(ctx, `UPDATE files SET structure = x'0901' WHERE id = (SELECT file_id FROM messages WHERE uid = 4)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `DELETE FROM envelopes WHERE file_id = (SELECT file_id FROM messages WHERE uid = 4)`); err != nil {
		t.Fatal(err)
	}
	err = mb.Messages(ctx, []uint32{4}, store.WantEnvelope, func(*store.MessageData) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "message 4") {
		t.Fatalf("corrupt model: err = %v", err)
	}
	// Without the forms, a corrupt model does not matter.
	if err := mb.Messages(ctx, []uint32{4}, 0, func(*store.MessageData) error { return nil }); err != nil {
		t.Fatal(err)
	}
}

// The migration that creates the forms tables fills them for the files
// already stored, version 1 and 2 models alike, and leaves NULL for a
// model it cannot decode.
func TestFormsMigration(t *testing.T) {
	ctx := context.Background()
	k := -1
	for i, m := range accountMigrations {
		if strings.Contains(m, "CREATE TABLE envelopes") {
			k = i
		}
	}
	if k < 0 {
		t.Fatal("no migration creates the envelopes table")
	}
	path := filepath.Join(t.TempDir(), "mail.db")
	old, err := openDB(ctx, path, accountMigrations[:k])
	if err != nil {
		t.Fatal(err)
	}
	v2, _, f0 := modelOf(t, formsMsgs[0])
	_, v1, f1 := modelOf(t, formsMsgs[1])
	for _, blob := range [][]byte{v2, v1, {9, 9, 9}} {
		if _, err := old.w.ExecContext(ctx, `INSERT INTO files(size, header, structure) VALUES (1, x'', ?)`, blob); err != nil {
			t.Fatal(err)
		}
	}
	old.close()
	d, err := openDB(ctx, path, accountMigrations)
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()
	rows, err := d.r.QueryContext(ctx, `SELECT e.envelope, b.body, b.bodystructure FROM files f
		JOIN envelopes e ON e.file_id = f.id JOIN bodies b ON b.file_id = f.id ORDER BY f.id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got [][3][]byte
	for rows.Next() {
		var f [3][]byte
		if err := rows.Scan(&f[0], &f[1], &f[2]); err != nil {
			t.Fatal(err)
		}
		got = append(got, f)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("%d forms rows, want 3", len(got))
	}
	for i, want := range [][3][]byte{f0, f1, {}} {
		for j := range 3 {
			if !bytes.Equal(got[i][j], want[j]) || (want[j] == nil) != (got[i][j] == nil) {
				t.Errorf("file %d form %d = %q, want %q", i+1, j, got[i][j], want[j])
			}
		}
	}
	// New files get their forms from the trigger.
	if _, err := d.w.ExecContext(ctx, `INSERT INTO files(size, header, structure) VALUES (1, x'', ?)`, v1); err != nil {
		t.Fatal(err)
	}
	var env []byte
	if err := d.r.QueryRowContext(ctx, `SELECT envelope FROM envelopes WHERE file_id = (SELECT max(id) FROM files)`).Scan(&env); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(env, f1[0]) {
		t.Fatalf("trigger stored %s, want %s", env, f1[0])
	}
}

func TestSQLForm(t *testing.T) {
	v2, v1, f := modelOf(t, formsMsgs[1])
	tests := []struct {
		args []driver.Value
		want []byte
	}{
		{[]driver.Value{v2, int64(0)}, f[0]},
		{[]driver.Value{v2, int64(2)}, f[2]},
		{[]driver.Value{v1, int64(1)}, f[1]},
		{[]driver.Value{v1, int64(1)}, f[1]}, // from the cache
		{[]driver.Value{v1, int64(0)}, f[0]},
		{[]driver.Value{v2, int64(3)}, nil},
		{[]driver.Value{v2, int64(-1)}, nil},
		{[]driver.Value{"text", int64(0)}, nil},
		{[]driver.Value{nil, int64(0)}, nil},
		{[]driver.Value{[]byte{1, 2, 3}, int64(0)}, nil},
		{[]driver.Value{v2, "0"}, nil},
	}
	for i, tt := range tests {
		got, err := sqlForm(nil, tt.args)
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		if tt.want == nil {
			if got != nil {
				t.Errorf("%d: got %v, want NULL", i, got)
			}
			continue
		}
		if b, ok := got.([]byte); !ok || !bytes.Equal(b, tt.want) {
			t.Errorf("%d: got %q, want %q", i, got, tt.want)
		}
	}
}

// Messages returns every asked-for message exactly once, in UID order,
// across chunk boundaries, for dense ranges and sparse lists alike.
func TestMessagesChunks(t *testing.T) {
	ctx := context.Background()
	s, dir := openTest(t)
	acc, err := s.OpenAccount(ctx, "u")
	if err != nil {
		t.Fatal(err)
	}
	appendString(t, acc, "INBOX", formsMsgs[0])
	_, _, f := modelOf(t, formsMsgs[0])
	// Many more messages sharing the first one's file, as copies do.
	const n = 3000
	db := rawDB(t, dir, "u")
	if _, err := db.ExecContext(ctx, `WITH RECURSIVE u(uid) AS (SELECT 2 UNION ALL SELECT uid + 1 FROM u WHERE uid < ?)
		INSERT INTO messages(mailbox_id, uid, file_id, internal_date, size, modseq, savedate)
		SELECT m.mailbox_id, u.uid, m.file_id, m.internal_date, m.size, m.modseq, m.savedate FROM u, messages m WHERE m.uid = 1`, n); err != nil {
		t.Fatal(err)
	}
	mb, err := acc.Mailbox(ctx, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	var all, sparse, mixed []uint32
	for u := uint32(1); u <= n+5; u++ {
		all = append(all, u)
		if u%3 == 0 {
			sparse = append(sparse, u)
		}
		if u < 1500 || u%7 == 0 {
			mixed = append(mixed, u)
		}
	}
	for _, tc := range []struct {
		name string
		uids []uint32
		want store.Want
	}{
		{"dense forms", all, store.WantEnvelope | store.WantUIDOnly},
		{"sparse forms", sparse, store.WantEnvelope | store.WantBodyStructure},
		{"mixed header", mixed, store.WantHeader},
		{"dense meta", all, 0},
	} {
		var got []uint32
		err := mb.Messages(ctx, tc.uids, tc.want, func(d *store.MessageData) error {
			got = append(got, d.UID)
			if tc.want&store.WantEnvelope != 0 && !bytes.Equal(d.Envelope, f[0]) {
				t.Fatalf("%s: UID %d ENVELOPE %s", tc.name, d.UID, d.Envelope)
			}
			if tc.want&store.WantHeader != 0 && !strings.HasPrefix(string(d.Header), "From: A") {
				t.Fatalf("%s: UID %d header %q", tc.name, d.UID, d.Header)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var want []uint32
		for _, u := range tc.uids {
			if u <= n {
				want = append(want, u)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: got %d UIDs (%v…), want %d", tc.name, len(got), got[:min(len(got), 5)], len(want))
		}
	}
}

// A file's forms rows go with it when its last message is expunged.
func TestFormsDeletedWithFile(t *testing.T) {
	ctx := context.Background()
	s, dir := openTest(t)
	acc, err := s.OpenAccount(ctx, "u")
	if err != nil {
		t.Fatal(err)
	}
	appendString(t, acc, "INBOX", formsMsgs[0])
	appendString(t, acc, "INBOX", formsMsgs[1])
	mb, err := acc.Mailbox(ctx, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mb.StoreFlags(ctx, []uint32{1}, store.FlagsAdd, []string{`\Deleted`}); err != nil {
		t.Fatal(err)
	}
	if _, err := mb.Expunge(ctx, []uint32{1}); err != nil {
		t.Fatal(err)
	}
	freeNow(t, acc)
	db := rawDB(t, dir, "u")
	var files, envs, bodies int
	if err := db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM files), (SELECT count(*) FROM envelopes),
		(SELECT count(*) FROM bodies)`).Scan(&files, &envs, &bodies); err != nil {
		t.Fatal(err)
	}
	if files != 1 || envs != 1 || bodies != 1 {
		t.Fatalf("after expunge: %d files, %d envelopes, %d bodies rows; want 1 each", files, envs, bodies)
	}
}
