package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"petrel.dev/petrel/internal/store"
)

// Aliases live in petrel.db beside the users; deleting a user deletes its
// aliases (ON DELETE CASCADE).

// SetAlias makes address deliver to user.
func (s *Store) SetAlias(ctx context.Context, address, user string) error {
	if address == "" || len(address) > 512 {
		return fmt.Errorf("set alias %q: bad address", address)
	}
	if _, err := s.user(ctx, user); err != nil {
		return fmt.Errorf("set alias %q: %w", address, err)
	}
	if _, err := s.users.w.ExecContext(ctx, `INSERT INTO aliases(address, user) VALUES (?, ?)
		ON CONFLICT(address) DO UPDATE SET user = excluded.user`, address, user); err != nil {
		return fmt.Errorf("set alias %q: %w", address, err)
	}
	return nil
}

// DeleteAlias removes an alias.
func (s *Store) DeleteAlias(ctx context.Context, address string) error {
	res, err := s.users.w.ExecContext(ctx, `DELETE FROM aliases WHERE address = ?`, address)
	if err != nil {
		return fmt.Errorf("delete alias %q: %w", address, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("delete alias %q: %w", address, store.ErrNoAlias)
	}
	return nil
}

// Alias returns the user address delivers to.
func (s *Store) Alias(ctx context.Context, address string) (string, error) {
	var user string
	err := s.users.r.QueryRowContext(ctx, `SELECT user FROM aliases WHERE address = ?`, address).Scan(&user)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("alias %q: %w", address, store.ErrNoAlias)
	}
	if err != nil {
		return "", fmt.Errorf("alias %q: %w", address, err)
	}
	return user, nil
}

// Aliases lists all aliases sorted by address.
func (s *Store) Aliases(ctx context.Context) ([]store.Alias, error) {
	rows, err := s.users.r.QueryContext(ctx, `SELECT address, user FROM aliases ORDER BY address`)
	if err != nil {
		return nil, fmt.Errorf("list aliases: %w", err)
	}
	defer rows.Close()
	var out []store.Alias
	for rows.Next() {
		var a store.Alias
		if err := rows.Scan(&a.Address, &a.User); err != nil {
			return nil, fmt.Errorf("list aliases: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}
