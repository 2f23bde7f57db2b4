package sqlitestore

import (
	"context"
	"fmt"
)

// Vanished returns the UIDs expunged from the mailbox with a MODSEQ above
// since, ascending. The expunged table is never pruned, so the answer is
// exact (RFC 7162 §3.2.5.1, §3.2.6).
func (mb *Mailbox) Vanished(ctx context.Context, since uint64) ([]uint32, error) {
	if _, err := mboxByID(ctx, mb.ac.a.db.r, mb.id); err != nil {
		return nil, fmt.Errorf("vanished of mailbox %d: %w", mb.id, err)
	}
	rows, err := mb.ac.a.db.r.QueryContext(ctx,
		`SELECT uid FROM expunged WHERE mailbox_id = ? AND modseq > ? ORDER BY uid`, mb.id, int64(min(since, 1<<63-1)))
	if err != nil {
		return nil, fmt.Errorf("vanished of mailbox %d: %w", mb.id, err)
	}
	defer rows.Close()
	var uids []uint32
	for rows.Next() {
		var u uint32
		if err := rows.Scan(&u); err != nil {
			return nil, fmt.Errorf("vanished of mailbox %d: %w", mb.id, err)
		}
		uids = append(uids, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("vanished of mailbox %d: %w", mb.id, err)
	}
	return uids, nil
}
