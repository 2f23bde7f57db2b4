package sqlitestore

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"testing"
	"time"

	"petrel.dev/petrel/internal/store"
)

func TestNextUIDValidity(t *testing.T) {
	ctx := context.Background()
	a, err := openAccountDB(ctx, filepath.Join(t.TempDir(), "acct"))
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	next := func() (uint32, error) {
		var v uint32
		err := a.update(ctx, nil, func(w *wtx) error {
			var err error
			v, err = w.nextUIDValidity()
			return err
		})
		return v, err
	}
	now := uint32(time.Now().Unix())
	v1, err := next()
	if err != nil || v1 < now {
		t.Fatalf("first UIDVALIDITY %d (now %d), %v", v1, now, err)
	}
	v2, _ := next()
	if v2 != v1+1 {
		t.Fatalf("second UIDVALIDITY %d after %d", v2, v1)
	}
	// A clock that went back does not make UIDVALIDITY go back.
	if _, err := a.db.w.Exec(`UPDATE meta SET v = ? WHERE k = 'uidvalidity'`, int64(now)+1000); err != nil {
		t.Fatal(err)
	}
	if v3, _ := next(); v3 != now+1001 {
		t.Fatalf("UIDVALIDITY after a clock step back: %d, want %d", v3, now+1001)
	}
	if _, err := a.db.w.Exec(`UPDATE meta SET v = ? WHERE k = 'uidvalidity'`, int64(math.MaxUint32)); err != nil {
		t.Fatal(err)
	}
	if _, err := next(); !errors.Is(err, store.ErrCannot) {
		t.Fatalf("exhausted UIDVALIDITY: %v", err)
	}
}

func TestModSeqOncePerTransaction(t *testing.T) {
	ctx := context.Background()
	a, err := openAccountDB(ctx, filepath.Join(t.TempDir(), "acct"))
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	if err := a.createDefaults(ctx); err != nil {
		t.Fatal(err)
	}
	var got []uint64
	err = a.update(ctx, nil, func(w *wtx) error {
		for _, id := range []int64{1, 1, 2, 1} {
			m, err := w.modseq(id)
			if err != nil {
				return err
			}
			got = append(got, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got[0] != 2 || got[1] != 2 || got[3] != 2 || got[2] != 2 {
		t.Fatalf("modseqs %v, want all 2 (one per mailbox per transaction)", got)
	}
	var hm uint64
	if err := a.db.r.QueryRow(`SELECT highestmodseq FROM mailboxes WHERE id = 1`).Scan(&hm); err != nil || hm != 2 {
		t.Fatalf("HIGHESTMODSEQ %d, %v", hm, err)
	}
}
