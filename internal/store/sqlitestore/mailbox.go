package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"time"

	"petrel.dev/petrel/internal/store"
)

// Mailbox is a handle to one mailbox incarnation, keyed by id so that it
// follows renames. It implements store.Mailbox.
type Mailbox struct {
	ac *Account
	id int64
}

var _ store.Mailbox = (*Mailbox)(nil)

// ID returns the mailbox id.
func (mb *Mailbox) ID() int64 { return mb.id }

// messagesChunk is how many UIDs Messages loads per query, bounding the
// memory held and the time a read transaction stays open.
const messagesChunk = 256

// uidsJSON encodes uids as a JSON array for json_each().
func uidsJSON(uids []uint32) string {
	b := make([]byte, 0, len(uids)*7+2)
	b = append(b, '[')
	for i, u := range uids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendUint(b, uint64(u), 10)
	}
	return string(append(b, ']'))
}

// sortedUIDs returns a sorted copy of uids without duplicates or zeros.
func sortedUIDs(uids []uint32) []uint32 {
	s := slices.Clone(uids)
	slices.Sort(s)
	s = slices.Compact(s)
	if len(s) > 0 && s[0] == 0 {
		s = s[1:]
	}
	return s
}

// zones caches time.Locations by UTC offset while decoding many rows.
type zones map[int]*time.Location

func (z zones) date(unix int64, offset int) time.Time {
	loc, ok := z[offset]
	if !ok {
		if offset == 0 {
			loc = time.UTC
		} else {
			loc = time.FixedZone("", offset)
		}
		z[offset] = loc
	}
	return time.Unix(unix, 0).In(loc)
}

const metaCols = `uid, flags, modseq, internal_date, internal_tz, size, savedate, file_id, thread_id`

// metaColsM is metaCols qualified for queries joining messages AS m.
const metaColsM = `m.uid, m.flags, m.modseq, m.internal_date, m.internal_tz, m.size, m.savedate, m.file_id, m.thread_id`

// scanMeta decodes metaCols.
func scanMeta(rows *sql.Rows, z zones, intern map[string]string, extra ...any) (store.MessageMeta, error) {
	var m store.MessageMeta
	var flags string
	var date int64
	var tz int
	var saved int64
	dest := append([]any{&m.UID, &flags, &m.ModSeq, &date, &tz, &m.Size, &saved, &m.EmailID, &m.ThreadID}, extra...)
	if err := rows.Scan(dest...); err != nil {
		return m, err
	}
	m.Flags = splitFlags(flags, intern)
	m.InternalDate = z.date(date, tz)
	m.SaveDate = time.Unix(saved, 0).UTC()
	return m, nil
}

// Snapshot reads the mailbox's whole state in one read transaction.
func (mb *Mailbox) Snapshot(ctx context.Context) (*store.Snapshot, error) {
	s, err := mb.snapshot(ctx)
	if err != nil {
		return nil, fmt.Errorf("snapshot of mailbox %d: %w", mb.id, err)
	}
	return s, nil
}

func (mb *Mailbox) snapshot(ctx context.Context) (*store.Snapshot, error) {
	tx, err := mb.ac.a.db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	m, err := mboxByID(ctx, tx, mb.id)
	if err != nil {
		return nil, err
	}
	s := &store.Snapshot{ID: m.id, UIDValidity: m.uidValidity, UIDNext: m.uidNext, HighestModSeq: m.highestModSeq,
		Messages: make([]store.MessageMeta, 0, m.messages)}
	if s.Keywords, err = mailboxKeywords(ctx, tx, m.id); err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+metaCols+` FROM messages WHERE mailbox_id = ? ORDER BY uid`, m.id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	z, intern := zones{}, map[string]string{}
	for rows.Next() {
		mm, err := scanMeta(rows, z, intern)
		if err != nil {
			return nil, err
		}
		s.Messages = append(s.Messages, mm)
	}
	return s, rows.Err()
}

// mailboxKeywords lists a mailbox's keywords sorted.
func mailboxKeywords(ctx context.Context, q querier, id int64) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT name FROM keywords WHERE mailbox_id = ? ORDER BY name`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var kws []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		kws = append(kws, k)
	}
	return kws, rows.Err()
}

// Messages calls fn for each of uids that exists, in UID order. Rows are
// loaded in chunks and fn runs outside any transaction.
func (mb *Mailbox) Messages(ctx context.Context, uids []uint32, want store.Want, fn func(*store.MessageData) error) error {
	if _, err := mboxByID(ctx, mb.ac.a.db.r, mb.id); err != nil {
		return fmt.Errorf("messages of mailbox %d: %w", mb.id, err)
	}
	cols := metaColsM + `, CASE WHEN ? THEN f.header END, CASE WHEN ? THEN f.structure END`
	q := `SELECT ` + cols + ` FROM messages m JOIN files f ON f.id = m.file_id
		WHERE m.mailbox_id = ? AND m.uid IN (SELECT value FROM json_each(?)) ORDER BY m.uid`
	// A dense chunk (FETCH 1:* and the like) is read as a UID range, which
	// SQLite walks along the primary key; the few rows not asked for are
	// dropped below.
	qRange := `SELECT ` + cols + ` FROM messages m JOIN files f ON f.id = m.file_id
		WHERE m.mailbox_id = ? AND m.uid BETWEEN ? AND ? ORDER BY m.uid`
	s := sortedUIDs(uids)
	z := zones{}
	for len(s) > 0 {
		chunk := s[:min(len(s), messagesChunk)]
		s = s[len(chunk):]
		var batch []*store.MessageData
		lo, hi := chunk[0], chunk[len(chunk)-1]
		dense := int64(hi)-int64(lo)+1 <= 2*int64(len(chunk))
		var rows *sql.Rows
		var err error
		if dense {
			rows, err = mb.ac.a.db.r.QueryContext(ctx, qRange, want&store.WantHeader != 0, want&store.WantStructure != 0, mb.id, lo, hi)
		} else {
			rows, err = mb.ac.a.db.r.QueryContext(ctx, q, want&store.WantHeader != 0, want&store.WantStructure != 0, mb.id, uidsJSON(chunk))
		}
		if err != nil {
			return fmt.Errorf("messages of mailbox %d: %w", mb.id, err)
		}
		next := 0 // index in chunk of the next wanted UID
		for rows.Next() {
			d := &store.MessageData{}
			d.MessageMeta, err = scanMeta(rows, z, nil, &d.Header, &d.Structure)
			if err != nil {
				rows.Close()
				return fmt.Errorf("messages of mailbox %d: %w", mb.id, err)
			}
			if dense {
				for next < len(chunk) && chunk[next] < d.UID {
					next++
				}
				if next == len(chunk) || chunk[next] != d.UID {
					continue
				}
			}
			batch = append(batch, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("messages of mailbox %d: %w", mb.id, err)
		}
		for _, d := range batch {
			if err := fn(d); err != nil {
				return err
			}
		}
	}
	return nil
}

// OpenMessage opens the file of message uid. A missing message is an
// error wrapping fs.ErrNotExist.
func (mb *Mailbox) OpenMessage(ctx context.Context, uid uint32) (store.MessageReader, error) {
	var fileID int64
	err := mb.ac.a.db.r.QueryRowContext(ctx, `SELECT file_id FROM messages WHERE mailbox_id = ? AND uid = ?`, mb.id, uid).Scan(&fileID)
	if errors.Is(err, sql.ErrNoRows) {
		if _, err := mboxByID(ctx, mb.ac.a.db.r, mb.id); err != nil {
			return nil, fmt.Errorf("open message %d: %w", uid, err)
		}
		return nil, fmt.Errorf("open message %d: %w", uid, fs.ErrNotExist)
	}
	if err != nil {
		return nil, fmt.Errorf("open message %d: %w", uid, err)
	}
	f, err := os.Open(mb.ac.a.filePath(fileID))
	if err != nil {
		return nil, fmt.Errorf("open message %d: %w", uid, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open message %d: %w", uid, err)
	}
	return &msgReader{File: f, size: fi.Size()}, nil
}

// allUIDs lists every UID of a mailbox.
func allUIDs(ctx context.Context, q querier, id int64) ([]uint32, error) {
	rows, err := q.QueryContext(ctx, `SELECT uid FROM messages WHERE mailbox_id = ? ORDER BY uid`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var uids []uint32
	for rows.Next() {
		var u uint32
		if err := rows.Scan(&u); err != nil {
			return nil, err
		}
		uids = append(uids, u)
	}
	return uids, rows.Err()
}

// keywords loads a mailbox's keywords for this transaction.
func (w *wtx) keywords(id int64) (*keywordSet, error) {
	kws, err := mailboxKeywords(w.ctx, w.tx, id)
	if err != nil {
		return nil, err
	}
	k := &keywordSet{spelling: make(map[string]string, len(kws))}
	for _, kw := range kws {
		k.spelling[flagKey(kw)] = kw
	}
	return k, nil
}

// saveKeywords inserts the keywords k added.
func (w *wtx) saveKeywords(id int64, k *keywordSet) error {
	for _, kw := range k.added {
		if _, err := w.tx.ExecContext(w.ctx, `INSERT OR IGNORE INTO keywords(mailbox_id, name) VALUES (?, ?)`, id, kw); err != nil {
			return err
		}
	}
	return nil
}
