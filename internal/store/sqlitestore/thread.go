package sqlitestore

import (
	"database/sql"
	"errors"
	"regexp"
	"strings"

	"petrel.dev/petrel/internal/message"
)

// Threading for OBJECTID's THREADID (RFC 8474 §5.2): a message joins the
// thread of the first message it refers to (In-Reply-To, then References
// from the nearest ancestor back) that the account already has; otherwise
// it starts a thread of its own, whose id is its file id. A thread id is
// fixed at delivery and never changes, as §5.2 requires, so a reply that
// arrives before its parent starts its own thread.

// maxRefs bounds how many referenced Message-IDs are looked up.
const maxRefs = 32

var msgIDRe = regexp.MustCompile(`<[^<>\s]{1,995}>`)

// threadHeaders returns a header block's Message-ID and the Message-IDs
// it refers to, most relevant first.
func threadHeaders(header []byte) (msgID string, refs []string) {
	if v := message.HeaderValues(header, "Message-ID"); len(v) > 0 {
		msgID = msgIDRe.FindString(v[0])
	}
	seen := map[string]bool{msgID: true}
	add := func(ids []string) {
		for _, id := range ids {
			if !seen[id] && len(refs) < maxRefs {
				seen[id] = true
				refs = append(refs, id)
			}
		}
	}
	for _, v := range message.HeaderValues(header, "In-Reply-To") {
		add(msgIDRe.FindAllString(v, maxRefs))
	}
	for _, v := range message.HeaderValues(header, "References") {
		ids := msgIDRe.FindAllString(v, -1)
		// The nearest ancestor is last.
		for i, j := 0, len(ids)-1; i < j; i, j = i+1, j-1 {
			ids[i], ids[j] = ids[j], ids[i]
		}
		add(ids)
	}
	return strings.TrimSpace(msgID), refs
}

// threadQuery finds the thread of a Message-ID. Its test that message_id
// is not empty lets SQLite use the partial index files_message_id, which
// "message_id = ?" alone does not prove applicable: without it every
// APPEND with a References header scanned the whole files table.
const threadQuery = `SELECT thread_id FROM files WHERE message_id = ? AND message_id != '' AND thread_id != 0 ORDER BY id LIMIT 1`

// threadOf returns the thread of a new file: that of the first referenced
// message the account has, else the file's own id.
func (w *wtx) threadOf(fileID int64, refs []string) (int64, error) {
	thread := fileID
	for _, ref := range refs {
		var t int64
		err := w.QueryRowContext(w.ctx, threadQuery, ref).Scan(&t)
		if err == nil {
			thread = t
			break
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, err
		}
	}
	_, err := w.ExecContext(w.ctx, `UPDATE files SET thread_id = ? WHERE id = ?`, thread, fileID)
	return thread, err
}
