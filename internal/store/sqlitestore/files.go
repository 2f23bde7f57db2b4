package sqlitestore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// tempPrefix starts the names of message files being written.
const tempPrefix = "tmp-"

// tempMaxAge is how long a temporary file may go unwritten before the
// cleanup at open treats it as left by a crash. It is generous because
// another process may be appending right now.
const tempMaxAge = time.Hour

func (a *accountDB) msgDir() string { return filepath.Join(a.dir, "msg") }

// filePath is where message file id lives: msg/<low byte in hex>/<id>.
func (a *accountDB) filePath(id int64) string {
	return filepath.Join(a.msgDir(), fmt.Sprintf("%02x", id&0xff), strconv.FormatInt(id, 10))
}

// syncDir fsyncs a directory so that entries created or renamed in it
// are durable.
func syncDir(dir string) error { return syncPath(dir) }

// syncPath fsyncs the file or directory at path.
func syncPath(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// queryIDs runs query, whose rows are one integer each, and returns them.
func queryIDs(ctx context.Context, q querier, query string, args ...any) ([]int64, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// install renames the fsynced temporary file tmp to file id's final path
// and makes the rename durable. It runs inside the write transaction, so
// no other process's cleanup sees the file before its row commits.
func (w *wtx) install(tmp string, id int64) error {
	p := w.a.filePath(id)
	dir := filepath.Dir(p)
	if err := os.Mkdir(dir, 0o700); err == nil {
		if err := syncDir(w.a.msgDir()); err != nil {
			return err
		}
	} else if !errors.Is(err, fs.ErrExist) {
		return err
	}
	if err := os.Rename(tmp, p); err != nil {
		return err
	}
	w.undo = append(w.undo, p)
	return syncDir(dir)
}

// cleanFiles removes message files without a files row (left when a
// crash hit between a rename and its commit, or between an expunge's
// commit and the unlink) and stale temporary files. It walks the
// directory without any lock, then checks the files it found against
// the database inside a write transaction, whose lock waits for another
// process's append that has renamed its file but not yet committed: a
// file is removed only if it still has no row with that lock held.
func (a *accountDB) cleanFiles(ctx context.Context) error {
	ids, err := queryIDs(ctx, a.db.r, `SELECT id FROM files`)
	if err != nil {
		return err
	}
	known := make(map[int64]bool, len(ids))
	for _, id := range ids {
		known[id] = true
	}
	ents, err := os.ReadDir(a.msgDir())
	if err != nil {
		return err
	}
	type candidate struct {
		id   int64
		path string
	}
	var orphans []candidate
	for _, e := range ents {
		if err := ctx.Err(); err != nil {
			return err
		}
		p := filepath.Join(a.msgDir(), e.Name())
		if strings.HasPrefix(e.Name(), tempPrefix) {
			if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > tempMaxAge {
				os.Remove(p)
			}
			continue
		}
		if !e.IsDir() || len(e.Name()) != 2 {
			continue
		}
		files, err := os.ReadDir(p)
		if err != nil {
			return err
		}
		for _, f := range files {
			id, err := strconv.ParseInt(f.Name(), 10, 64)
			if err != nil || f.IsDir() || known[id] {
				continue
			}
			orphans = append(orphans, candidate{id, filepath.Join(p, f.Name())})
		}
	}
	if len(orphans) == 0 {
		return nil
	}
	return a.update(ctx, nil, func(w *wtx) error {
		w.freeFiles = true
		for _, o := range orphans {
			var n int
			if err := w.QueryRowContext(ctx, `SELECT count(*) FROM files WHERE id = ?`, o.id).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				continue
			}
			if err := os.Remove(o.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
		return nil
	})
}

// memReader reads an inline message (table contents).
type memReader struct{ *bytes.Reader }

// Close does nothing: the message is in memory.
func (memReader) Close() error { return nil }

type msgReader struct {
	*os.File
	size int64
}

// Size returns the message size in bytes.
func (r *msgReader) Size() int64 { return r.size }
