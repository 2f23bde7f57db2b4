package sqlitestore

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"petrel.dev/petrel/internal/store"
)

// TestLargeSnapshot inserts 10k messages directly through SQL, all
// sharing one file, and reads a snapshot, STATUS and a search.
func TestLargeSnapshot(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	acc, err := s.OpenAccount(ctx, "u")
	if err != nil {
		t.Fatal(err)
	}
	a := acc.(*Account)
	appendString(t, a, "INBOX", sample)
	mb, _ := a.Mailbox(ctx, "INBOX")
	const n = 10000
	// One statement: row-by-row inserts through database/sql are slow
	// under the race detector.
	err = a.a.update(ctx, nil, func(w *wtx) error {
		_, err := w.tx.Exec(`WITH RECURSIVE c(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM c WHERE i < ?)
			INSERT INTO messages(mailbox_id, uid, file_id, flags, seen, deleted, internal_date, size, modseq, savedate)
			SELECT ?, i, 1, CASE WHEN i % 3 = 0 THEN '$Label \Flagged' ELSE '\Seen' END, i % 3 != 0, 0, 1000000000 + i, ?, 2, 0 FROM c`,
			n, mb.ID(), len(sample))
		if err != nil {
			return err
		}
		_, err = w.tx.Exec(`UPDATE mailboxes SET uidnext = ? WHERE id = ?`, n+1, mb.ID())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := mb.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Messages) != n || snap.Messages[n-1].UID != n || snap.UIDNext != n+1 {
		t.Fatalf("snapshot: %d messages", len(snap.Messages))
	}
	st, err := a.Status(ctx, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	if st.Messages != n || st.Unseen != n/3+1 || st.Size != int64(n*len(sample)) {
		t.Fatalf("status %+v", st)
	}
	got, err := mb.SearchText(ctx, nil, []string{"BODY"}, false)
	if err != nil || len(got) != n {
		t.Fatalf("search over shared file: %d hits, %v", len(got), err)
	}
}

func BenchmarkSnapshot10k(b *testing.B) {
	ctx := context.Background()
	s, err := Open(b.TempDir(), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := s.CreateUser(ctx, "u", "h"); err != nil {
		b.Fatal(err)
	}
	acc, _ := s.OpenAccount(ctx, "u")
	a := acc.(*Account)
	if _, err := a.Append(ctx, "INBOX", store.AppendMessage{Body: strings.NewReader(sample), Size: int64(len(sample))}); err != nil {
		b.Fatal(err)
	}
	mb, _ := a.Mailbox(ctx, "INBOX")
	err = a.a.update(ctx, nil, func(w *wtx) error {
		for i := 2; i <= 10000; i++ {
			meta := store.MessageMeta{UID: uint32(i), Flags: []string{`\Seen`}, ModSeq: 2, InternalDate: time.Unix(1e9, 0), Size: 10}
			if err := w.insertMessage(mb.ID(), 1, &meta); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := mb.Snapshot(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppend(b *testing.B) {
	ctx := context.Background()
	s, err := Open(b.TempDir(), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := s.CreateUser(ctx, "u", "h"); err != nil {
		b.Fatal(err)
	}
	a, _ := s.OpenAccount(ctx, "u")
	msg := "Subject: bench\r\n\r\n" + strings.Repeat("line of text\r\n", 200)
	b.SetBytes(int64(len(msg)))
	for i := 0; b.Loop(); i++ {
		if _, err := a.Append(ctx, "INBOX", store.AppendMessage{Body: strings.NewReader(msg), Size: int64(len(msg))}); err != nil {
			b.Fatal(fmt.Errorf("append %d: %w", i, err))
		}
	}
}
