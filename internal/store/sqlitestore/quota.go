package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"

	"petrel.dev/petrel/internal/store"
)

// Quotas (RFC 9208). Limits live in petrel.db (NULL: the default of
// Options.DefaultQuota); usage is the sum of the per-mailbox counters the
// triggers keep, so checking it is one small query inside the write
// transaction that adds messages.

func userQuota(storage, messages sql.NullInt64) *store.Quota {
	if !storage.Valid && !messages.Valid {
		return nil
	}
	return &store.Quota{Storage: storage.Int64, Messages: messages.Int64}
}

// SetQuota sets or clears a user's own quota.
func (s *Store) SetQuota(ctx context.Context, name string, q *store.Quota) error {
	var storage, messages any
	if q != nil {
		if q.Storage < 0 || q.Messages < 0 {
			return fmt.Errorf("set quota of %q: negative limit", name)
		}
		storage, messages = q.Storage, q.Messages
	}
	res, err := s.users.w.ExecContext(ctx, `UPDATE users SET quota_storage = ?, quota_messages = ? WHERE name = ?`, storage, messages, name)
	if err != nil {
		return fmt.Errorf("set quota of %q: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("set quota of %q: %w", name, store.ErrNoUser)
	}
	return nil
}

// limits returns the account's effective quota.
func (ac *Account) limits(ctx context.Context) (store.Quota, error) {
	u, err := ac.s.user(ctx, ac.name)
	if err != nil {
		return store.Quota{}, err
	}
	if u.Quota != nil {
		return *u.Quota, nil
	}
	return ac.s.opts.DefaultQuota, nil
}

// Quota returns the account's limits and usage.
func (ac *Account) Quota(ctx context.Context) (store.Quota, store.Usage, error) {
	q, err := ac.limits(ctx)
	if err != nil {
		return q, store.Usage{}, fmt.Errorf("quota: %w", err)
	}
	var u store.Usage
	err = ac.a.read(ctx, func(q querier) (err error) {
		u, err = usage(ctx, q)
		return err
	})
	if err != nil {
		return q, u, fmt.Errorf("quota: %w", err)
	}
	return q, u, nil
}

func usage(ctx context.Context, q querier) (store.Usage, error) {
	var u store.Usage
	err := q.QueryRowContext(ctx, `SELECT COALESCE(SUM(size), 0), COALESCE(SUM(messages), 0) FROM mailboxes`).Scan(&u.Storage, &u.Messages)
	return u, err
}

// checkQuota fails with ErrOverQuota when adding n messages of size bytes
// would exceed q. It runs inside the write transaction, so concurrent
// appends cannot overrun the limit together.
func (w *wtx) checkQuota(q store.Quota, size, n int64) error {
	if q.Storage == 0 && q.Messages == 0 {
		return nil
	}
	u, err := usage(w.ctx, w)
	if err != nil {
		return err
	}
	if q.Storage > 0 && u.Storage+size > q.Storage {
		return fmt.Errorf("%d of %d bytes used, %d more: %w", u.Storage, q.Storage, size, store.ErrOverQuota)
	}
	if q.Messages > 0 && u.Messages+n > q.Messages {
		return fmt.Errorf("%d of %d messages, %d more: %w", u.Messages, q.Messages, n, store.ErrOverQuota)
	}
	return nil
}
