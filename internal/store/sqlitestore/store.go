package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"petrel.dev/petrel/internal/store"
)

// maxUserName caps the length of a user name in bytes.
const maxUserName = 255

// Store is an opened data directory. It implements store.Store.
type Store struct {
	dir   string
	opts  store.Options
	users *db

	mu sync.Mutex
	// accounts holds the open account databases by name; guarded by mu.
	accounts map[string]*accountDB
	// closed is set by Close; guarded by mu.
	closed bool
	// watch publishes other processes' changes (watch.go); nil without
	// Options.OnChange.
	watch *watcher
	// vouch remembers users whose row User just read, so that the
	// OpenAccount of a login does not read it again (account.go).
	vouch userVouch
	// bg is the background maintenance (cleanup at open, search
	// indexing); Close stops it.
	bg *maintenance
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the data directory dir.
func Open(dir string, opts store.Options) (*Store, error) {
	if err := os.MkdirAll(filepath.Join(dir, "accounts"), 0o700); err != nil {
		return nil, fmt.Errorf("open store %s: %w", dir, err)
	}
	users, err := openDB(context.Background(), filepath.Join(dir, "petrel.db"), usersMigrations)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", dir, err)
	}
	s := &Store{dir: dir, opts: opts, users: users, accounts: map[string]*accountDB{}}
	s.bg = newMaintenance(s.logger())
	s.startWatch()
	return s, nil
}

// Close closes the store and all its account databases. Handles obtained
// from it fail afterwards.
func (s *Store) Close() error {
	s.stopWatch()
	s.bg.stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	var first error
	for name, a := range s.accounts {
		if err := a.close(); err != nil && first == nil {
			first = err
		}
		delete(s.accounts, name)
	}
	if err := s.users.close(); err != nil && first == nil {
		first = err
	}
	return first
}

func (s *Store) logger() *slog.Logger {
	if s.opts.Logger != nil {
		return s.opts.Logger
	}
	return slog.Default()
}

// checkUserName rejects names that are unusable as a directory name.
func checkUserName(name string) error {
	if name == "" || len(name) > maxUserName || !utf8.ValidString(name) ||
		name == "." || name == ".." || strings.ContainsAny(name, "/\\") {
		return fmt.Errorf("invalid user name %q", name)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("invalid user name %q", name)
		}
	}
	return nil
}

func (s *Store) accountDir(name string) string {
	return filepath.Join(s.dir, "accounts", name)
}

// CreateUser creates the user and its default mailboxes. If mail of a
// user of that name was kept by DeleteUser without purge, it is reused.
func (s *Store) CreateUser(ctx context.Context, name, passwordHash string) error {
	if err := checkUserName(name); err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	ctx = detach(ctx) // see stmts.go
	tx, err := s.users.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("create user %q: %w", name, err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT INTO users(name, password_hash, created) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
		name, passwordHash, time.Now().Unix())
	if err != nil {
		return fmt.Errorf("create user %q: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("create user %q: %w", name, store.ErrUserExists)
	}
	// The account database is created while the user row is still
	// uncommitted: a failure leaves no user without mailboxes.
	a, err := openAccountDB(ctx, s.accountDir(name))
	if err != nil {
		return fmt.Errorf("create user %q: %w", name, err)
	}
	err = a.createDefaults(ctx)
	if cerr := a.close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("create user %q: %w", name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("create user %q: %w", name, err)
	}
	return nil
}

// SetPasswordHash replaces the user's password hash.
func (s *Store) SetPasswordHash(ctx context.Context, name, passwordHash string) error {
	res, err := s.users.w.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE name = ?`, passwordHash, name)
	if err != nil {
		return fmt.Errorf("set password of %q: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("set password of %q: %w", name, store.ErrNoUser)
	}
	return nil
}

// DeleteUser removes the user record; with purge also its mail directory.
// Handles of the account open in this process fail afterwards.
func (s *Store) DeleteUser(ctx context.Context, name string, purge bool) error {
	res, err := s.users.w.ExecContext(ctx, `DELETE FROM users WHERE name = ?`, name)
	if err != nil {
		return fmt.Errorf("delete user %q: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("delete user %q: %w", name, store.ErrNoUser)
	}
	s.vouch.forget(name)
	if !purge {
		return nil
	}
	s.mu.Lock()
	if a := s.accounts[name]; a != nil {
		delete(s.accounts, name)
		a.close()
	}
	s.mu.Unlock()
	if err := checkUserName(name); err != nil {
		return fmt.Errorf("delete user: %w", err)
	}
	if err := os.RemoveAll(s.accountDir(name)); err != nil {
		return fmt.Errorf("purge mail of %q: %w", name, err)
	}
	return nil
}

// User reads one user record; it always reads the database, so users
// added by another process are seen at once. A successful read vouches
// for the user to the next OpenAccount of the name (see userVouch).
func (s *Store) User(ctx context.Context, name string) (store.UserInfo, error) {
	u, err := s.user(ctx, name)
	if err == nil {
		s.vouch.note(name)
	}
	return u, err
}

// user is User without vouching for a following OpenAccount.
func (s *Store) user(ctx context.Context, name string) (store.UserInfo, error) {
	var u store.UserInfo
	var created int64
	var qs, qm sql.NullInt64
	err := s.users.r.QueryRowContext(ctx, `SELECT name, password_hash, created, quota_storage, quota_messages FROM users WHERE name = ?`, name).
		Scan(&u.Name, &u.PasswordHash, &created, &qs, &qm)
	if errors.Is(err, sql.ErrNoRows) {
		return u, fmt.Errorf("user %q: %w", name, store.ErrNoUser)
	}
	if err != nil {
		return u, fmt.Errorf("user %q: %w", name, err)
	}
	u.Created = time.Unix(created, 0)
	u.Quota = userQuota(qs, qm)
	return u, nil
}

// Users lists all users sorted by name.
func (s *Store) Users(ctx context.Context) ([]store.UserInfo, error) {
	rows, err := s.users.r.QueryContext(ctx, `SELECT name, password_hash, created, quota_storage, quota_messages FROM users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var us []store.UserInfo
	for rows.Next() {
		var u store.UserInfo
		var created int64
		var qs, qm sql.NullInt64
		if err := rows.Scan(&u.Name, &u.PasswordHash, &created, &qs, &qm); err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		u.Created = time.Unix(created, 0)
		u.Quota = userQuota(qs, qm)
		us = append(us, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return us, nil
}

// OpenAccount returns a handle to name's mail. The first open in this
// process removes files left over by a crash.
func (s *Store) OpenAccount(ctx context.Context, name string) (store.Account, error) {
	if !s.vouch.take(name) {
		if _, err := s.user(ctx, name); err != nil {
			return nil, fmt.Errorf("open account: %w", err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, fmt.Errorf("open account %q: store closed", name)
	}
	a := s.accounts[name]
	if a != nil && !a.current() {
		// Another process purged the account (and maybe re-created
		// it): this handle's files are gone.
		delete(s.accounts, name)
		a.close()
		a = nil
	}
	if a == nil {
		var err error
		a, err = openAccountDB(ctx, s.accountDir(name))
		if err != nil {
			return nil, fmt.Errorf("open account %q: %w", name, err)
		}
		// With NoMaintenance this is left to the server: a delivery must
		// not scan a large mailbox's files. The server does it in the
		// background, so that the first LOGIN after a start does not
		// wait for a walk of 100,000 files.
		if !s.opts.NoMaintenance {
			a.bg = s.bg
			s.bg.goDo(func(ctx context.Context) {
				if err := a.cleanFiles(ctx); err != nil && ctx.Err() == nil {
					s.logger().Warn("removing files left by a crash failed; retried at the next start", "account", name, "err", err)
				}
				// Files a crash left unreferenced (freeFilesLater).
				a.freeFilesLater()
				// Bring the search index up to date (fts.go).
				a.startIndexer(ctx)
			})
		}
		if err := s.watchAccountLocked(ctx, name, a); err != nil {
			a.close()
			return nil, fmt.Errorf("open account %q: %w", name, err)
		}
		s.accounts[name] = a
	}
	return &Account{s: s, name: name, a: a}, nil
}
