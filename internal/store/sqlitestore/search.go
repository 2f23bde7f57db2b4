package sqlitestore

import (
	"context"
	"fmt"
	"strings"

	"petrel.dev/petrel/internal/message"
	"petrel.dev/petrel/internal/store"
)

// Limits on SearchText.
const (
	maxNeedles   = 64
	maxNeedleLen = 4096 // bytes, before folding
)

// SearchText returns those of uids (all when nil) whose folded decoded
// text contains every needle. RFC 9051 §6.4.4: BODY matches the body,
// TEXT the header or the body; comparison is i;unicode-casemap (RFC 5051),
// done here as a byte substring test (instr on BLOBs) of message.Fold'ed
// needles in message.Fold'ed text, which is exact for valid UTF-8.
func (mb *Mailbox) SearchText(ctx context.Context, uids []uint32, needles []string, header bool) ([]uint32, error) {
	if len(needles) > maxNeedles {
		return nil, fmt.Errorf("search: too many search strings: %w", store.ErrCannot)
	}
	if _, err := mboxByID(ctx, mb.ac.a.db.r, mb.id); err != nil {
		return nil, fmt.Errorf("search in mailbox %d: %w", mb.id, err)
	}
	var q strings.Builder
	args := []any{mb.id}
	q.WriteString(`SELECT m.uid FROM messages m JOIN search s ON s.file_id = m.file_id WHERE m.mailbox_id = ?`)
	if uids != nil {
		q.WriteString(` AND m.uid IN (SELECT value FROM json_each(?))`)
		args = append(args, uidsJSON(sortedUIDs(uids)))
	}
	for _, n := range needles {
		if len(n) > maxNeedleLen {
			return nil, fmt.Errorf("search: search string too long: %w", store.ErrCannot)
		}
		f := []byte(message.Fold(n))
		if header {
			q.WriteString(` AND (instr(s.body, ?) > 0 OR instr(s.header, ?) > 0)`)
			args = append(args, f, f)
		} else {
			q.WriteString(` AND instr(s.body, ?) > 0`)
			args = append(args, f)
		}
	}
	q.WriteString(` ORDER BY m.uid`)
	rows, err := mb.ac.a.db.r.QueryContext(ctx, q.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("search in mailbox %d: %w", mb.id, err)
	}
	defer rows.Close()
	var out []uint32
	for rows.Next() {
		var u uint32
		if err := rows.Scan(&u); err != nil {
			return nil, fmt.Errorf("search in mailbox %d: %w", mb.id, err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search in mailbox %d: %w", mb.id, err)
	}
	return out, nil
}
