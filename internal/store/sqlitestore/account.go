package sqlitestore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"petrel.dev/petrel/internal/store"
)

// Account is a handle to one user's mail. It implements store.Account.
// Handles are cheap: all handles of an account share one accountDB, which
// stays open until the Store is closed.
type Account struct {
	s    *Store
	name string
	a    *accountDB
}

var _ store.Account = (*Account)(nil)

// Name returns the user name.
func (ac *Account) Name() string { return ac.name }

// Close releases the handle; the shared database stays open.
func (ac *Account) Close() error { return nil }

// update runs fn in a write transaction and publishes its changes to
// Options.OnChange, tagged with the account and ctx's origin.
func (ac *Account) update(ctx context.Context, fn func(w *wtx) error) error {
	return ac.updateAs(ctx, durable, fn)
}

// updateAs is update with the given durability.
func (ac *Account) updateAs(ctx context.Context, d durability, fn func(w *wtx) error) error {
	origin := store.OriginFrom(ctx)
	return ac.a.updateAs(ctx, d, func(cs []store.Change) {
		if ac.s.opts.OnChange == nil {
			return
		}
		for _, c := range cs {
			c.Account = ac.name
			c.Origin = origin
			ac.s.opts.OnChange(c)
		}
	}, fn)
}

// Mailboxes lists all mailboxes sorted by name, \Noselect placeholders
// included.
func (ac *Account) Mailboxes(ctx context.Context) ([]store.MailboxInfo, error) {
	var list []store.MailboxInfo
	err := ac.a.read(ctx, func(q querier) error {
		list = list[:0]
		rows, err := q.QueryContext(ctx, `SELECT id, name, special_use, noselect, uidvalidity,
			EXISTS (SELECT 1 FROM subscriptions s WHERE s.name = m.name)
			FROM mailboxes m ORDER BY name`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var mi store.MailboxInfo
			var su string
			if err := rows.Scan(&mi.ID, &mi.Name, &su, &mi.NoSelect, &mi.UIDValidity, &mi.Subscribed); err != nil {
				return err
			}
			if su != "" {
				mi.SpecialUse = strings.Fields(su)
			}
			list = append(list, mi)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("list mailboxes: %w", err)
	}
	return list, nil
}

// Subscriptions lists subscribed names sorted; they need not exist.
func (ac *Account) Subscriptions(ctx context.Context) ([]string, error) {
	var names []string
	err := ac.a.read(ctx, func(q querier) error {
		names = names[:0]
		rows, err := q.QueryContext(ctx, `SELECT name FROM subscriptions ORDER BY name`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				return err
			}
			names = append(names, n)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("list subscriptions: %w", err)
	}
	return names, nil
}

// SetSubscribed subscribes or unsubscribes name, which need not exist
// (RFC 9051 §6.3.7, §6.3.8).
func (ac *Account) SetSubscribed(ctx context.Context, name string, subscribed bool) error {
	n, err := normName(name)
	if err != nil {
		return fmt.Errorf("subscribe: %w", err)
	}
	q := `DELETE FROM subscriptions WHERE name = ?`
	if subscribed {
		q = `INSERT OR IGNORE INTO subscriptions(name) VALUES (?)`
	}
	err = ac.update(ctx, func(w *wtx) error {
		_, err := w.ExecContext(ctx, q, n)
		return err
	})
	if err != nil {
		return fmt.Errorf("subscribe %q: %w", n, err)
	}
	return nil
}

// CreateMailbox creates name and its missing parents (RFC 9051 §6.3.4).
func (ac *Account) CreateMailbox(ctx context.Context, name string, specialUse []string) error {
	n, err := normName(name)
	if err != nil {
		return fmt.Errorf("create mailbox: %w", err)
	}
	err = ac.update(ctx, func(w *wtx) error { return w.createMailbox(n, specialUse) })
	if err != nil {
		return fmt.Errorf("create mailbox %q: %w", n, err)
	}
	return nil
}

// DeleteMailbox deletes name and its messages (RFC 9051 §6.3.5). A
// mailbox with children is replaced by a \Noselect placeholder of a new
// id, so handles of the deleted mailbox fail with ErrNoMailbox.
func (ac *Account) DeleteMailbox(ctx context.Context, name string) error {
	n, err := normName(name)
	if err != nil {
		return fmt.Errorf("delete mailbox: %w", err)
	}
	if n == "INBOX" {
		return fmt.Errorf("delete mailbox INBOX: %w", store.ErrCannot)
	}
	err = ac.update(ctx, func(w *wtx) error {
		m, err := mboxByName(ctx, w, n)
		if err != nil {
			return err
		}
		children, err := hasChildren(ctx, w, n)
		if err != nil {
			return err
		}
		if children && m.noselect {
			// RFC 9051 §6.3.5: "It is an error to attempt to delete a
			// name that has inferior hierarchical names and also has
			// the \Noselect mailbox name attribute".
			return fmt.Errorf("has children and is \\Noselect: %w", store.ErrCannot)
		}
		if _, err := w.ExecContext(ctx, `DELETE FROM messages WHERE mailbox_id = ?`, m.id); err != nil {
			return err
		}
		w.freeFiles = true
		if _, err := w.ExecContext(ctx, `DELETE FROM mailboxes WHERE id = ?`, m.id); err != nil {
			return err
		}
		w.changes = append(w.changes, store.Change{MailboxID: m.id, Kind: store.ChangeMailbox, ModSeq: m.highestModSeq, Deleted: true})
		if children {
			_, err := w.insertMailbox(n, "", true)
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete mailbox %q: %w", n, err)
	}
	return nil
}

// RenameMailbox renames from and its children to to (RFC 9051 §6.3.6).
// Subscriptions are left alone, as RFC 9051 §6.3.9 notes.
func (ac *Account) RenameMailbox(ctx context.Context, from, to string) error {
	f, err := normName(from)
	if err != nil {
		return fmt.Errorf("rename mailbox: %w", err)
	}
	t, err := normName(to)
	if err != nil {
		return fmt.Errorf("rename mailbox: %w", err)
	}
	err = ac.update(ctx, func(w *wtx) error {
		src, err := mboxByName(ctx, w, f)
		if err != nil {
			return err
		}
		if _, err := mboxByName(ctx, w, t); err == nil {
			return store.ErrMailboxExists
		} else if !errors.Is(err, store.ErrNoMailbox) {
			return err
		}
		if f == "INBOX" {
			// INBOX's children are not renamed, so INBOX/x is fine.
			return w.renameInbox(src, t)
		}
		if isChild(t, f) {
			return fmt.Errorf("cannot rename into itself: %w", store.ErrCannot)
		}
		return w.renameTree(f, t)
	})
	if err != nil {
		return fmt.Errorf("rename mailbox %q to %q: %w", f, t, err)
	}
	return nil
}

// renameTree renames f and every mailbox below it to t, then creates the
// missing parents of t.
func (w *wtx) renameTree(f, t string) error {
	rows, err := w.QueryContext(w.ctx, `SELECT id, name, highestmodseq FROM mailboxes WHERE name = ? OR (name > ? AND name < ?) ORDER BY name`,
		f, f+"/", f+"0")
	if err != nil {
		return err
	}
	type ren struct {
		id     int64
		name   string
		modseq uint64
	}
	var rs []ren
	for rows.Next() {
		var r ren
		if err := rows.Scan(&r.id, &r.name, &r.modseq); err != nil {
			rows.Close()
			return err
		}
		rs = append(rs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, r := range rs {
		nn := t + r.name[len(f):]
		if len(nn) > maxMailboxName {
			return fmt.Errorf("new name of %q too long: %w", r.name, store.ErrCannot)
		}
		if _, err := mboxByName(w.ctx, w, nn); err == nil {
			return fmt.Errorf("%q: %w", nn, store.ErrMailboxExists)
		} else if !errors.Is(err, store.ErrNoMailbox) {
			return err
		}
		if _, err := w.ExecContext(w.ctx, `UPDATE mailboxes SET name = ? WHERE id = ?`, nn, r.id); err != nil {
			return err
		}
		w.changes = append(w.changes, store.Change{MailboxID: r.id, Kind: store.ChangeMailbox, ModSeq: r.modseq})
	}
	for _, p := range parents(t) {
		if _, err := mboxByName(w.ctx, w, p); errors.Is(err, store.ErrNoMailbox) {
			if _, err := w.insertMailbox(p, "", false); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
	}
	return nil
}

// renameInbox implements RFC 9051 §6.3.6 for INBOX: "It moves all
// messages in INBOX to a new mailbox with the given name, leaving INBOX
// empty"; INBOX's children stay where they are.
func (w *wtx) renameInbox(inbox mbox, t string) error {
	if err := w.createMailbox(t, nil); err != nil {
		return err
	}
	dest, err := mboxByName(w.ctx, w, t)
	if err != nil {
		return err
	}
	uids, err := allUIDs(w.ctx, w, inbox.id)
	if err != nil {
		return err
	}
	_, err = w.copyMessages(inbox, dest, uids, true)
	return err
}

// Status reads a mailbox's counters (kept by triggers, so this is one
// row lookup).
func (ac *Account) Status(ctx context.Context, name string) (store.MailboxStatus, error) {
	n, err := normName(name)
	if err != nil {
		return store.MailboxStatus{}, fmt.Errorf("status: %w", err)
	}
	var st store.MailboxStatus
	err = ac.a.read(ctx, func(q querier) error {
		m, err := selectableByName(ctx, q, n)
		if err != nil {
			return err
		}
		st = m.status()
		if m.deleted > 0 {
			// RFC 9208 DELETED-STORAGE: only when something is
			// \Deleted, so the common case stays a one-row read.
			return q.QueryRowContext(ctx, `SELECT COALESCE(SUM(size), 0) FROM messages WHERE mailbox_id = ? AND deleted = 1`, m.id).Scan(&st.DeletedSize)
		}
		return nil
	})
	if err != nil {
		return store.MailboxStatus{}, fmt.Errorf("status %q: %w", n, err)
	}
	return st, nil
}

func (m mbox) status() store.MailboxStatus {
	return store.MailboxStatus{
		ID:            m.id,
		Messages:      m.messages,
		UIDNext:       m.uidNext,
		UIDValidity:   m.uidValidity,
		Unseen:        m.unseen,
		Deleted:       m.deleted,
		Size:          m.size,
		HighestModSeq: m.highestModSeq,
	}
}

// Mailbox returns a handle to a selectable mailbox; it follows renames.
func (ac *Account) Mailbox(ctx context.Context, name string) (store.Mailbox, error) {
	n, err := normName(name)
	if err != nil {
		return nil, fmt.Errorf("mailbox: %w", err)
	}
	var m mbox
	err = ac.a.read(ctx, func(q querier) (err error) {
		m, err = selectableByName(ctx, q, n)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("mailbox %q: %w", n, err)
	}
	return &Mailbox{ac: ac, id: m.id}, nil
}

// A login reads the user's row twice within microseconds: the
// authenticator's password lookup (Store.User) and OpenAccount's check
// that the user exists. The second read is a whole SQLite read
// transaction on petrel.db (locks on its WAL index) and was a sixth of
// the CPU time of a LOGIN/LOGOUT session. So a successful User read
// vouches for the user to the next OpenAccount of the same name within
// userVouchTTL, once: OpenAccount then trusts a read made an instant
// before instead of making its own. A user deleted by another process in
// that instant is seen by the next login, as one deleted just after
// OpenAccount's own read would be; DeleteUser in this process withdraws
// the vouch at once.

// Limits of userVouch.
const (
	userVouchTTL = time.Second
	maxVouched   = 4096
)

// userVouch maps user names to when User last read their row. The zero
// value is ready to use.
type userVouch struct {
	mu sync.Mutex
	at map[string]time.Time // guarded by mu
	// now is time.Now; tests replace it.
	now func() time.Time
}

func (v *userVouch) clock() time.Time {
	if v.now != nil {
		return v.now()
	}
	return time.Now()
}

// note records that name's row was read just now. When the map is full,
// expired entries are dropped, and if none was, nothing is recorded.
func (v *userVouch) note(name string) {
	now := v.clock()
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.at == nil {
		v.at = make(map[string]time.Time)
	}
	if _, ok := v.at[name]; !ok && len(v.at) >= maxVouched {
		for k, t := range v.at {
			if now.Sub(t) >= userVouchTTL {
				delete(v.at, k)
			}
		}
		if len(v.at) >= maxVouched {
			return
		}
	}
	v.at[name] = now
}

// take reports whether name's row was read less than userVouchTTL ago,
// and uses the vouch up.
func (v *userVouch) take(name string) bool {
	now := v.clock()
	v.mu.Lock()
	defer v.mu.Unlock()
	t, ok := v.at[name]
	if !ok {
		return false
	}
	delete(v.at, name)
	d := now.Sub(t)
	return d >= 0 && d < userVouchTTL
}

// forget withdraws any vouch for name.
func (v *userVouch) forget(name string) {
	v.mu.Lock()
	delete(v.at, name)
	v.mu.Unlock()
}
