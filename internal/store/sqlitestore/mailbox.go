package sqlitestore

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"petrel.dev/petrel/internal/message"
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
// memory held and the time a read transaction stays open; four times as
// many when only the small rows (metadata and forms) are read.
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
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	orig, ctx := ctx, detach(ctx) // see stmts.go
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
		if len(s.Messages)%4096 == 0 {
			if err := orig.Err(); err != nil {
				return nil, err
			}
		}
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
// loaded in chunks, each with one query of a statement prepared once per
// call, and fn runs outside any transaction. The forms come from the
// envelopes and bodies tables (forms.go), or from files.structure where
// those have no row.
func (mb *Mailbox) Messages(ctx context.Context, uids []uint32, want store.Want, fn func(*store.MessageData) error) error {
	err := mb.messages(ctx, uids, want, fn)
	var stop errStop
	if errors.As(err, &stop) {
		return stop.err
	}
	if err != nil {
		return fmt.Errorf("messages of mailbox %d: %w", mb.id, err)
	}
	return nil
}

// errStop carries fn's error through messages, to be returned as it is.
type errStop struct{ err error }

func (e errStop) Error() string { return e.err.Error() }

func (mb *Mailbox) messages(ctx context.Context, uids []uint32, want store.Want, fn func(*store.MessageData) error) error {
	mq := newMessagesQuery(want)
	// A dense chunk (FETCH 1:* and the like) is read as a UID range, which
	// SQLite walks along the primary key; the few rows not asked for are
	// dropped below. Other chunks name their UIDs through json_each. The
	// statements are prepared once per database (readerDB's cache): a
	// one-message FETCH is otherwise mostly the preparing.
	var inList, byRange *sql.Stmt
	var owned []*sql.Stmt
	defer func() {
		for _, st := range owned {
			st.Close()
		}
	}()
	prepare := func(st **sql.Stmt, where string) (*sql.Stmt, error) {
		if *st == nil {
			q := mq.sql(where)
			p := mb.ac.a.db.r.stmt(ctx, q)
			if p == nil {
				var err error
				if p, err = mb.ac.a.db.r.PrepareContext(ctx, q); err != nil {
					return nil, err
				}
				owned = append(owned, p)
			}
			*st = p
		}
		return *st, nil
	}
	found := false
	size := messagesChunk
	if want&(store.WantHeader|store.WantStructure) == 0 {
		size *= 4
	}
	s := sortedUIDs(uids)
	z := zones{}
	var batch []*store.MessageData
	orig, ctx := ctx, detach(ctx) // see stmts.go; checked per chunk
	single := len(s) <= size
	for len(s) > 0 {
		if err := orig.Err(); err != nil {
			return err
		}
		chunk := s[:min(len(s), size)]
		s = s[len(chunk):]
		lo, hi := chunk[0], chunk[len(chunk)-1]
		dense := int64(hi)-int64(lo)+1 <= 2*int64(len(chunk))
		if single {
			// One chunk (a client's usual FETCH of a few messages): a
			// short read (stmts.go), done before fn runs.
			where, args := `m.uid IN (SELECT value FROM json_each(?))`, []any{mb.id, uidsJSON(chunk)}
			if dense {
				where, args = `m.uid BETWEEN ? AND ?`, []any{mb.id, lo, hi}
			}
			err := mb.ac.a.read(ctx, func(q querier) error {
				rows, err := q.QueryContext(ctx, mq.sql(where), args...)
				if err != nil {
					return err
				}
				batch, err = mq.read(rows, chunk, dense, z, batch[:0])
				return err
			})
			if err != nil {
				return err
			}
		}
		var rows *sql.Rows
		switch {
		case single:
		case dense:
			st, err := prepare(&byRange, `m.uid BETWEEN ? AND ?`)
			if err != nil {
				return err
			}
			rows, err = st.QueryContext(ctx, mb.id, lo, hi)
			if err != nil {
				return err
			}
		default:
			st, err := prepare(&inList, `m.uid IN (SELECT value FROM json_each(?))`)
			if err != nil {
				return err
			}
			rows, err = st.QueryContext(ctx, mb.id, uidsJSON(chunk))
			if err != nil {
				return err
			}
		}
		if rows != nil {
			var err error
			batch, err = mq.read(rows, chunk, dense, z, batch[:0])
			if err != nil {
				return err
			}
		}
		found = found || len(batch) > 0
		for _, d := range batch {
			if err := fn(d); err != nil {
				return errStop{err}
			}
		}
	}
	if !found {
		// Nothing read: the mailbox may be gone (its messages went
		// with it), which is an error, not an empty result.
		if _, err := mboxByID(ctx, mb.ac.a.db.r, mb.id); err != nil {
			return err
		}
	}
	return nil
}

// messagesQuery is the SELECT of Messages for one Want, and how to read
// its rows.
type messagesQuery struct {
	want store.Want
	// fallback: a last column holds files.structure for rows whose forms
	// are missing, because the structure column is not selected.
	fallback bool
}

func newMessagesQuery(want store.Want) *messagesQuery {
	forms := want&(store.WantEnvelope|store.WantBodyStructure) != 0
	return &messagesQuery{want: want, fallback: forms && want&store.WantStructure == 0}
}

// sql returns the query; where restricts m.uid after m.mailbox_id = ?.
func (q *messagesQuery) sql(where string) string {
	var cols, joins, missing []string
	if q.want&store.WantUIDOnly != 0 {
		cols = append(cols, `m.uid`)
	} else {
		cols = append(cols, metaColsM)
	}
	if q.want&(store.WantHeader|store.WantStructure) != 0 {
		joins = append(joins, `JOIN files f ON f.id = m.file_id`)
		if q.want&store.WantHeader != 0 {
			cols = append(cols, `f.header`)
		}
		if q.want&store.WantStructure != 0 {
			cols = append(cols, `f.structure`)
		}
	}
	if q.want&store.WantEnvelope != 0 {
		joins = append(joins, `LEFT JOIN envelopes e ON e.file_id = m.file_id`)
		cols = append(cols, `e.envelope`)
		missing = append(missing, `e.envelope IS NULL`)
	}
	if q.want&store.WantBodyStructure != 0 {
		joins = append(joins, `LEFT JOIN bodies b ON b.file_id = m.file_id`)
		cols = append(cols, `b.body`, `b.bodystructure`)
		missing = append(missing, `b.body IS NULL`, `b.bodystructure IS NULL`)
	}
	if q.fallback {
		// A scalar subquery, so files is read only for such rows.
		cols = append(cols, `CASE WHEN `+strings.Join(missing, ` OR `)+
			` THEN (SELECT structure FROM files WHERE id = m.file_id) END`)
	}
	return `SELECT ` + strings.Join(cols, `, `) + ` FROM messages m ` + strings.Join(joins, ` `) +
		` WHERE m.mailbox_id = ? AND ` + where + ` ORDER BY m.uid`
}

// read decodes rows (and closes them) into batch: the rows whose UID is
// in chunk when dense, else every row. The byte slices of a chunk share
// one allocation.
func (q *messagesQuery) read(rows *sql.Rows, chunk []uint32, dense bool, z zones, batch []*store.MessageData) ([]*store.MessageData, error) {
	defer rows.Close()
	var header, structure, env, body, bs, fallback sql.RawBytes
	var dest []any
	if q.want&store.WantHeader != 0 {
		dest = append(dest, &header)
	}
	if q.want&store.WantStructure != 0 {
		dest = append(dest, &structure)
	}
	if q.want&store.WantEnvelope != 0 {
		dest = append(dest, &env)
	}
	if q.want&store.WantBodyStructure != 0 {
		dest = append(dest, &body, &bs)
	}
	if q.fallback {
		dest = append(dest, &fallback)
	}
	uidOnly := q.want&store.WantUIDOnly != 0
	var uid int64
	if uidOnly {
		dest = append([]any{&uid}, dest...)
	}
	// One allocation for the rows of a chunk, and for their bytes one
	// per arenaSize.
	const arenaSize = 16 << 10
	ds := make([]store.MessageData, 0, len(chunk))
	var arena []byte
	keep := func(raw sql.RawBytes, wanted bool) []byte {
		if raw == nil && !wanted {
			return nil
		}
		if len(arena)+len(raw) > cap(arena) {
			arena = make([]byte, 0, max(arenaSize, len(raw)))
		}
		n := len(arena)
		arena = append(arena, raw...)
		return arena[n:len(arena):len(arena)]
	}
	next := 0 // index in chunk of the next wanted UID
	for rows.Next() {
		var d store.MessageData
		var err error
		if uidOnly {
			err = rows.Scan(dest...)
			d.UID = uint32(uid)
		} else {
			d.MessageMeta, err = scanMeta(rows, z, nil, dest...)
		}
		if err != nil {
			return nil, err
		}
		if dense {
			for next < len(chunk) && chunk[next] < d.UID {
				next++
			}
			if next == len(chunk) || chunk[next] != d.UID {
				continue
			}
		}
		// Header and structure are NOT NULL: an empty blob is kept
		// non-nil, so that "wanted" and "empty" stay distinguishable.
		d.Header = keep(header, q.want&store.WantHeader != 0)
		d.Structure = keep(structure, q.want&store.WantStructure != 0)
		d.Envelope = keep(env, false)
		d.Body, d.BodyStructure = keep(body, false), keep(bs, false)
		if err := q.fillForms(&d, fallback); err != nil {
			return nil, err
		}
		if len(ds) == cap(ds) {
			// Only when not dense: more rows than UIDs asked for, which
			// a UID list cannot give; never move rows already handed out.
			ds = make([]store.MessageData, 0, len(chunk))
		}
		ds = append(ds, d)
		batch = append(batch, &ds[len(ds)-1])
	}
	return batch, rows.Err()
}

// fillForms computes the wanted forms a row lacks from the message model
// (message.FormsOf): files stored before the forms tables, or whose
// model petrel_form could not decode.
func (q *messagesQuery) fillForms(d *store.MessageData, fallback []byte) error {
	needEnv := q.want&store.WantEnvelope != 0 && d.Envelope == nil
	needBody := q.want&store.WantBodyStructure != 0 && (d.Body == nil || d.BodyStructure == nil)
	if !needEnv && !needBody {
		return nil
	}
	src := fallback
	if q.want&store.WantStructure != 0 {
		src = d.Structure
	}
	env, body, bs, err := message.FormsOf(src)
	if err != nil {
		return fmt.Errorf("message %d: %w", d.UID, err)
	}
	// The forms may alias src, which the next row overwrites.
	if needEnv {
		d.Envelope = bytes.Clone(env)
	}
	if needBody {
		d.Body, d.BodyStructure = bytes.Clone(body), bytes.Clone(bs)
	}
	return nil
}

// OpenMessage opens the file of message uid. A missing message is an
// error wrapping fs.ErrNotExist.
func (mb *Mailbox) OpenMessage(ctx context.Context, uid uint32) (store.MessageReader, error) {
	var fileID int64
	var inline bool
	var data []byte
	err := mb.ac.a.read(ctx, func(q querier) error {
		return q.QueryRowContext(ctx, `SELECT m.file_id, c.file_id IS NOT NULL, c.data FROM messages m
			LEFT JOIN contents c ON c.file_id = m.file_id WHERE m.mailbox_id = ? AND m.uid = ?`, mb.id, uid).Scan(&fileID, &inline, &data)
	})
	if errors.Is(err, sql.ErrNoRows) {
		if _, err := mboxByID(ctx, mb.ac.a.db.r, mb.id); err != nil {
			return nil, fmt.Errorf("open message %d: %w", uid, err)
		}
		return nil, fmt.Errorf("open message %d: %w", uid, fs.ErrNotExist)
	}
	if err != nil {
		return nil, fmt.Errorf("open message %d: %w", uid, err)
	}
	if inline {
		return memReader{bytes.NewReader(data)}, nil
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
	kws, err := mailboxKeywords(w.ctx, w, id)
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
