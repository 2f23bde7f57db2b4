package sqlitestore

import (
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
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
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
// commit and the unlink) and stale temporary files. It holds the write
// lock, so no append of another process is between rename and commit.
func (a *accountDB) cleanFiles(ctx context.Context) error {
	return a.update(ctx, nil, func(w *wtx) error {
		w.freeFiles = true
		known := map[int64]bool{}
		rows, err := w.QueryContext(ctx, `SELECT id FROM files`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			known[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		ents, err := os.ReadDir(a.msgDir())
		if err != nil {
			return err
		}
		for _, e := range ents {
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
				if err := os.Remove(filepath.Join(p, f.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
					return err
				}
			}
		}
		return nil
	})
}

// msgReader is an open message file.
type msgReader struct {
	*os.File
	size int64
}

// Size returns the message size in bytes.
func (r *msgReader) Size() int64 { return r.size }
