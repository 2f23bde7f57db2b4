package sqlitestore

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"time"

	"petrel.dev/petrel/internal/store"
)

// Append stores one message: it streams the body to a temporary file
// while message.Parse reads the same bytes (io.TeeReader), fsyncs it, and
// commits the row after the file is durable under its final name.
func (ac *Account) Append(ctx context.Context, name string, msg store.AppendMessage) (store.AppendResult, error) {
	n, err := normName(name)
	if err != nil {
		return store.AppendResult{}, fmt.Errorf("append: %w", err)
	}
	res, err := ac.append(ctx, n, msg)
	if err != nil {
		return store.AppendResult{}, fmt.Errorf("append to %q: %w", n, err)
	}
	return res, nil
}

func (ac *Account) append(ctx context.Context, name string, msg store.AppendMessage) (store.AppendResult, error) {
	var res store.AppendResult
	if err := checkFlags(msg.Flags); err != nil {
		return res, err
	}
	limit := ac.s.opts.MaxMessageSize
	if limit > 0 && msg.Size > limit {
		return res, store.ErrTooBig
	}
	if msg.Body == nil {
		return res, fmt.Errorf("no message body")
	}
	// Fail early, before reading the body, when the mailbox is missing.
	if _, err := selectableByName(ctx, ac.a.db.r, name); err != nil {
		return res, err
	}
	sf, err := ac.a.spool(ctx, msg.Body, msg.Size, limit)
	if err != nil {
		return res, err
	}
	installed := false
	defer func() {
		if !installed && sf.tmp != "" {
			os.Remove(sf.tmp)
		}
	}()

	quota, err := ac.limits(ctx)
	if err != nil {
		return res, err
	}
	date := msg.InternalDate
	if date.IsZero() {
		date = time.Now()
	}
	// Publish the date as Snapshot will read it back: whole seconds in
	// a fixed zone.
	_, offset := date.Zone()
	date = zones{}.date(date.Unix(), offset)
	flags := dedupFlags(msg.Flags)
	err = ac.update(ctx, func(w *wtx) error {
		m, err := selectableByName(ctx, w, name)
		if err != nil {
			return err
		}
		if m.uidNext == math.MaxUint32 {
			return fmt.Errorf("UIDs exhausted: %w", store.ErrCannot)
		}
		kw, err := w.keywords(m.id)
		if err != nil {
			return err
		}
		fl, err := kw.canon(flags, true)
		if err != nil {
			return err
		}
		if err := w.saveKeywords(m.id, kw); err != nil {
			return err
		}
		if err := w.checkQuota(quota, sf.size, 1); err != nil {
			return err
		}
		modseq, err := w.modseq(m.id)
		if err != nil {
			return err
		}
		var fileID int64
		msgID, refs := threadHeaders(sf.header)
		err = w.QueryRowContext(ctx, `INSERT INTO files(size, header, structure, message_id) VALUES (?, ?, ?, ?) RETURNING id`,
			sf.size, sf.header, sf.structure, msgID).Scan(&fileID)
		if err != nil {
			return err
		}
		threadID, err := w.threadOf(fileID, refs)
		if err != nil {
			return err
		}
		if _, err := w.ExecContext(ctx, `INSERT INTO search(file_id, body, header) VALUES (?, ?, ?)`,
			fileID, sf.bodyText, sf.headerText); err != nil {
			return err
		}
		if sf.data != nil {
			if _, err := w.ExecContext(ctx, `INSERT INTO contents(file_id, data) VALUES (?, ?)`, fileID, sf.data); err != nil {
				return err
			}
		} else {
			if err := w.install(sf.tmp, fileID); err != nil {
				return err
			}
			// From here the file is under its final name (removed by
			// the transaction's undo on failure); never remove sf.tmp,
			// which another append might reuse.
			installed = true
		}
		meta := store.MessageMeta{UID: m.uidNext, Flags: fl, ModSeq: modseq, InternalDate: date, Size: sf.size,
			EmailID: fileID, ThreadID: threadID}
		if err := w.insertMessage(m.id, fileID, &meta); err != nil {
			return err
		}
		if _, err := w.ExecContext(ctx, `UPDATE mailboxes SET uidnext = ? WHERE id = ?`, m.uidNext+1, m.id); err != nil {
			return err
		}
		w.changes = append(w.changes, store.Change{MailboxID: m.id, Kind: store.ChangeAppend, ModSeq: modseq,
			Messages: []store.MessageMeta{meta}, Keywords: kw.added})
		res = store.AppendResult{MailboxID: m.id, UIDValidity: m.uidValidity, UID: m.uidNext}
		return nil
	})
	if err == nil {
		ac.a.noteAppend()
	}
	return res, err
}

// insertMessage inserts one messages row, setting m.SaveDate to now
// (RFC 8514 §3: a copy gets its own save date).
func (w *wtx) insertMessage(mailboxID, fileID int64, m *store.MessageMeta) error {
	m.SaveDate = time.Unix(time.Now().Unix(), 0).UTC()
	_, offset := m.InternalDate.Zone()
	_, err := w.ExecContext(w.ctx, `INSERT INTO messages(mailbox_id, uid, file_id, flags, seen, deleted,
		internal_date, internal_tz, size, modseq, savedate, thread_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		mailboxID, m.UID, fileID, joinFlags(m.Flags), hasFlag(m.Flags, `\Seen`), hasFlag(m.Flags, `\Deleted`),
		m.InternalDate.Unix(), offset, m.Size, m.ModSeq, m.SaveDate.Unix(), m.ThreadID)
	return err
}

// inlineMax is the size up to which a message's content is stored in
// mail.db (table contents) rather than in a file of its own. Most mail
// is smaller. An inline message is made durable by the transaction's one
// WAL fsync, where a file costs a file creation, its fsync, a rename and
// a directory fsync besides: APPEND and LMTP delivery of small messages
// need one fsync instead of three.
const inlineMax = 64 << 10

// spooled is a message read and parsed: in memory (data) up to
// inlineMax, else written to a temporary file (tmp).
type spooled struct {
	tmp                  string
	data                 []byte // the whole message, when inline
	size                 int64
	header, structure    []byte
	bodyText, headerText []byte // folded, for SearchText
}

// spool reads and parses body: into memory when its announced size is
// at most inlineMax, else into a new fsynced temporary file in the
// message directory, parsing it in the same pass.
func (a *accountDB) spool(ctx context.Context, body io.Reader, size, limit int64) (_ *spooled, err error) {
	if size >= 0 && size <= inlineMax {
		return spoolMemory(ctx, body, size, limit)
	}
	f, err := os.CreateTemp(a.msgDir(), tempPrefix+"*")
	if err != nil {
		return nil, err
	}
	sf := &spooled{tmp: f.Name()}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = cerr
		}
		if err != nil {
			os.Remove(sf.tmp)
		}
	}()
	src := &limitedReader{ctx: ctx, r: body, max: limit}
	bw := bufio.NewWriterSize(f, 64<<10)
	tee := io.TeeReader(src, bw)
	m, perr := parseMessage(tee)
	// Parse reads to EOF; drain anyway so the file is always complete.
	if _, err := io.Copy(io.Discard, tee); err != nil {
		return nil, src.cause(err)
	}
	if perr != nil {
		return nil, src.cause(perr)
	}
	if err := bw.Flush(); err != nil {
		return nil, err
	}
	sf.size = src.n
	if size >= 0 && sf.size != size {
		return nil, fmt.Errorf("message is %d bytes, expected %d: %w", sf.size, size, io.ErrUnexpectedEOF)
	}
	if err := f.Sync(); err != nil {
		return nil, err
	}
	if m == nil || m.Root == nil {
		return nil, fmt.Errorf("parser returned no message")
	}
	hlen := min(max(m.Root.BodyOffset, 0), sf.size)
	sf.header = make([]byte, hlen)
	if _, err := f.ReadAt(sf.header, 0); err != nil {
		return nil, fmt.Errorf("read back header: %w", err)
	}
	sf.structure = m.Marshal()
	sf.bodyText, sf.headerText = searchText(m, sf.header)
	return sf, nil
}

// spoolMemory reads a message of exactly size bytes into memory and
// parses it.
func spoolMemory(ctx context.Context, body io.Reader, size, limit int64) (*spooled, error) {
	src := &limitedReader{ctx: ctx, r: body, max: limit}
	buf := make([]byte, size+1)
	n, err := io.ReadFull(src, buf)
	switch {
	case err == nil:
		return nil, fmt.Errorf("message is more than %d bytes, expected %d", size, size)
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		if int64(n) != size {
			return nil, fmt.Errorf("message is %d bytes, expected %d: %w", n, size, io.ErrUnexpectedEOF)
		}
	default:
		return nil, src.cause(err)
	}
	buf = buf[:size:size]
	m, err := parseMessage(bytes.NewReader(buf))
	if err != nil {
		return nil, err
	}
	if m == nil || m.Root == nil {
		return nil, fmt.Errorf("parser returned no message")
	}
	sf := &spooled{data: buf, size: size}
	sf.header = buf[:min(max(m.Root.BodyOffset, 0), size)]
	sf.structure = m.Marshal()
	sf.bodyText, sf.headerText = searchText(m, sf.header)
	return sf, nil
}

// limitedReader reads r, failing with ErrTooBig past max bytes (when max
// > 0) and with ctx's error once ctx is done.
type limitedReader struct {
	ctx context.Context
	r   io.Reader
	max int64
	n   int64
	err error // the first error of our own making
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	if err := l.ctx.Err(); err != nil {
		l.err = err
		return 0, err
	}
	if l.max > 0 && int64(len(p)) > l.max-l.n+1 {
		p = p[:l.max-l.n+1]
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	if l.max > 0 && l.n > l.max {
		l.err = store.ErrTooBig
		return 0, l.err
	}
	return n, err
}

// cause returns the reader's own error (ErrTooBig, cancellation) if it
// failed, since a parser may not pass it on unwrapped.
func (l *limitedReader) cause(err error) error {
	if l.err != nil {
		return l.err
	}
	return err
}
