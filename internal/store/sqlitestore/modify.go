package sqlitestore

import (
	"context"
	"fmt"
	"math"
	"slices"

	"petrel.dev/petrel/internal/store"
)

// StoreFlags changes the flags of uids; messages whose flags really change
// get this transaction's MODSEQ and are returned (RFC 7162 §3.2).
func (mb *Mailbox) StoreFlags(ctx context.Context, uids []uint32, mode store.FlagMode, flags []string) ([]store.MessageMeta, error) {
	changed, _, err := mb.StoreFlagsIf(ctx, uids, mode, flags, store.Unconditional)
	return changed, err
}

// StoreFlagsIf is StoreFlags with RFC 7162's UNCHANGEDSINCE test, checked
// inside the write transaction.
func (mb *Mailbox) StoreFlagsIf(ctx context.Context, uids []uint32, mode store.FlagMode, flags []string, unchangedSince uint64) ([]store.MessageMeta, []uint32, error) {
	if err := checkFlags(flags); err != nil {
		return nil, nil, fmt.Errorf("store flags: %w", err)
	}
	if mode != store.FlagsReplace && mode != store.FlagsAdd && mode != store.FlagsRemove {
		return nil, nil, fmt.Errorf("store flags: bad mode %d", mode)
	}
	var changed []store.MessageMeta
	var modified []uint32
	err := mb.ac.updateAs(ctx, relaxed, func(w *wtx) error {
		changed, modified = nil, nil
		m, err := mboxByID(ctx, w, mb.id)
		if err != nil {
			return err
		}
		kw, err := w.keywords(m.id)
		if err != nil {
			return err
		}
		given, err := kw.canon(dedupFlags(flags), mode != store.FlagsRemove)
		if err != nil {
			return err
		}
		rows, err := w.QueryContext(ctx, `SELECT `+metaCols+` FROM messages
			WHERE mailbox_id = ? AND uid IN (SELECT value FROM json_each(?)) ORDER BY uid`, m.id, uidsJSON(sortedUIDs(uids)))
		if err != nil {
			return err
		}
		z := zones{}
		for rows.Next() {
			mm, err := scanMeta(rows, z, nil)
			if err != nil {
				rows.Close()
				return err
			}
			if mm.ModSeq > unchangedSince {
				modified = append(modified, mm.UID)
				continue
			}
			if nf, ok := applyFlags(mm.Flags, mode, given); ok {
				mm.Flags = nf
				changed = append(changed, mm)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(changed) == 0 {
			return nil
		}
		modseq, err := w.modseq(m.id)
		if err != nil {
			return err
		}
		for i := range changed {
			c := &changed[i]
			c.ModSeq = modseq
			if _, err := w.ExecContext(ctx, `UPDATE messages SET flags = ?, seen = ?, deleted = ?, modseq = ? WHERE mailbox_id = ? AND uid = ?`,
				joinFlags(c.Flags), hasFlag(c.Flags, `\Seen`), hasFlag(c.Flags, `\Deleted`), modseq, m.id, c.UID); err != nil {
				return err
			}
		}
		if err := w.saveKeywords(m.id, kw); err != nil {
			return err
		}
		w.changes = append(w.changes, store.Change{MailboxID: m.id, Kind: store.ChangeFlags, ModSeq: modseq,
			Messages: changed, Keywords: kw.added})
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("store flags in mailbox %d: %w", mb.id, err)
	}
	return changed, modified, nil
}

// Expunge removes those of uids that have \Deleted now (checked inside
// the transaction, so a concurrent flag change cannot be overrun) and
// returns them sorted.
func (mb *Mailbox) Expunge(ctx context.Context, uids []uint32) ([]uint32, error) {
	var gone []uint32
	err := mb.ac.updateAs(ctx, relaxed, func(w *wtx) error {
		gone = nil
		m, err := mboxByID(ctx, w, mb.id)
		if err != nil {
			return err
		}
		rows, err := w.QueryContext(ctx, `SELECT uid FROM messages
			WHERE mailbox_id = ? AND deleted = 1 AND uid IN (SELECT value FROM json_each(?)) ORDER BY uid`, m.id, uidsJSON(sortedUIDs(uids)))
		if err != nil {
			return err
		}
		for rows.Next() {
			var u uint32
			if err := rows.Scan(&u); err != nil {
				rows.Close()
				return err
			}
			gone = append(gone, u)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		return w.expunge(m.id, gone)
	})
	if err != nil {
		return nil, fmt.Errorf("expunge in mailbox %d: %w", mb.id, err)
	}
	return gone, nil
}

// expunge deletes the messages uids (all existing) of mailbox id, records
// them in expunged under a new MODSEQ and schedules the change.
func (w *wtx) expunge(id int64, uids []uint32) error {
	if len(uids) == 0 {
		return nil
	}
	modseq, err := w.modseq(id)
	if err != nil {
		return err
	}
	js := uidsJSON(uids)
	if _, err := w.ExecContext(w.ctx, `DELETE FROM messages WHERE mailbox_id = ? AND uid IN (SELECT value FROM json_each(?))`, id, js); err != nil {
		return err
	}
	if _, err := w.ExecContext(w.ctx, `INSERT INTO expunged(mailbox_id, uid, modseq) SELECT ?, value, ? FROM json_each(?) WHERE true
		ON CONFLICT(mailbox_id, uid) DO UPDATE SET modseq = excluded.modseq`, id, modseq, js); err != nil {
		return err
	}
	w.freeLater = true
	w.changes = append(w.changes, store.Change{MailboxID: id, Kind: store.ChangeExpunge, ModSeq: modseq, UIDs: uids})
	return nil
}

// Copy copies uids to dest sharing their files, keeping flags and
// internal dates (RFC 9051 §6.4.7, RFC 4315 COPYUID).
func (mb *Mailbox) Copy(ctx context.Context, uids []uint32, dest string) (store.CopyResult, error) {
	return mb.copyOrMove(ctx, uids, dest, false)
}

// Move copies uids to dest and expunges them here in one transaction
// (RFC 6851).
func (mb *Mailbox) Move(ctx context.Context, uids []uint32, dest string) (store.CopyResult, error) {
	return mb.copyOrMove(ctx, uids, dest, true)
}

func (mb *Mailbox) copyOrMove(ctx context.Context, uids []uint32, dest string, move bool) (store.CopyResult, error) {
	op := "copy"
	if move {
		op = "move"
	}
	d, err := normName(dest)
	if err != nil {
		return store.CopyResult{}, fmt.Errorf("%s: %w", op, err)
	}
	var quota store.Quota
	if !move {
		// MOVE leaves the usage as it is; COPY adds to it (RFC 9208 §5).
		if quota, err = mb.ac.limits(ctx); err != nil {
			return store.CopyResult{}, fmt.Errorf("%s: %w", op, err)
		}
	}
	var res store.CopyResult
	err = mb.ac.update(ctx, func(w *wtx) error {
		w.quota = quota
		src, err := mboxByID(ctx, w, mb.id)
		if err != nil {
			return err
		}
		dst, err := selectableByName(ctx, w, d)
		if err != nil {
			return err
		}
		res, err = w.copyMessages(src, dst, sortedUIDs(uids), move)
		return err
	})
	if err != nil {
		return store.CopyResult{}, fmt.Errorf("%s from mailbox %d to %q: %w", op, mb.id, d, err)
	}
	return res, nil
}

// copyMessages copies those of uids (sorted) that exist in src to dst
// under new UIDs, then, if move, expunges them from src. Changes are
// published append first, then expunge (RFC 6851 §4.3 orders COPYUID
// before the EXPUNGEs).
func (w *wtx) copyMessages(src, dst mbox, uids []uint32, move bool) (store.CopyResult, error) {
	res := store.CopyResult{DestID: dst.id, DestUIDValidity: dst.uidValidity}
	rows, err := w.QueryContext(w.ctx, `SELECT `+metaCols+`, file_id FROM messages
		WHERE mailbox_id = ? AND uid IN (SELECT value FROM json_each(?)) ORDER BY uid`, src.id, uidsJSON(uids))
	if err != nil {
		return res, err
	}
	type msg struct {
		meta   store.MessageMeta
		fileID int64
	}
	var ms []msg
	var added int64
	z := zones{}
	for rows.Next() {
		var m msg
		m.meta, err = scanMeta(rows, z, nil, &m.fileID)
		if err != nil {
			rows.Close()
			return res, err
		}
		ms = append(ms, m)
		added += m.meta.Size
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return res, err
	}
	if len(ms) == 0 {
		return res, nil
	}
	if uint64(dst.uidNext)+uint64(len(ms)) > math.MaxUint32 {
		return res, fmt.Errorf("UIDs exhausted: %w", store.ErrCannot)
	}
	kw, err := w.keywords(dst.id)
	if err != nil {
		return res, err
	}
	if !move {
		if err := w.checkQuota(w.quota, added, int64(len(ms))); err != nil {
			return res, err
		}
	}
	modseq, err := w.modseq(dst.id)
	if err != nil {
		return res, err
	}
	metas := make([]store.MessageMeta, 0, len(ms))
	next := dst.uidNext
	for _, m := range ms {
		meta := m.meta
		if meta.Flags, err = kw.canon(meta.Flags, true); err != nil {
			return res, err
		}
		meta.UID = next
		meta.ModSeq = modseq
		next++
		if err := w.insertMessage(dst.id, m.fileID, &meta); err != nil {
			return res, err
		}
		res.SrcUIDs = append(res.SrcUIDs, m.meta.UID)
		res.DestUIDs = append(res.DestUIDs, meta.UID)
		metas = append(metas, meta)
	}
	if _, err := w.ExecContext(w.ctx, `UPDATE mailboxes SET uidnext = ? WHERE id = ?`, next, dst.id); err != nil {
		return res, err
	}
	if err := w.saveKeywords(dst.id, kw); err != nil {
		return res, err
	}
	w.changes = append(w.changes, store.Change{MailboxID: dst.id, Kind: store.ChangeAppend, ModSeq: modseq,
		Messages: metas, Keywords: kw.added})
	if move {
		if err := w.expunge(src.id, slices.Clone(res.SrcUIDs)); err != nil {
			return res, err
		}
	}
	return res, nil
}
