package sqlitestore

// Implementation notes: the SEARCH prefilter.
//
// SearchText answers with an exact byte-substring test (instr) of folded
// needles in the folded text of the search table
// (RFC 9051 §6.4.4, i;unicode-casemap via message.Fold). Scanning that
// text for every message of a large mailbox is what made SEARCH slow, so
// two FTS5 indexes with the trigram tokenizer narrow the rows instr looks
// at:
//
//	search_body_fts(body)      trigrams of search.body
//	search_header_fts(header)  trigrams of search.header
//
// Both are contentless (content='', the text stays in search only),
// detail=none (only which rowid holds which trigram: no positions) and
// contentless_delete=1 (rows can be deleted by rowid); the rowid is the
// file id. The indexes are a prefilter only: a row whose text contains a
// needle contains every trigram of the needle, so "all of these trigrams"
// selects a superset of the matches, and instr then decides exactly. The
// answers are therefore the same as the plain scan's; the property test in
// fts_test.go compares the two. SearchHeaderText, the prefilter of header
// keys, answers from search_header_fts alone: the search package decides
// each candidate from its header block anyway.
//
// Needles that cannot be expressed as trigrams (fewer than three
// characters, invalid UTF-8, NUL) do not narrow anything: a SEARCH whose
// needles are all like that scans as before.
//
// The trigram tokenizer reads UTF-8 (SQLite's lenient decoder); to make
// the index text valid UTF-8, each run of invalid bytes becomes U+FFFD
// before indexing (ftsText). A valid-UTF-8 needle found in the raw text at
// some offset is also found in the cleaned text, because the needle's
// first byte is not a continuation byte and UTF-8 decoding is
// self-synchronising; so the prefilter still finds it.
//
// Indexing never runs inside APPEND or LMTP delivery. meta('fts_indexed')
// is the watermark: every files row with an id at or below it is in both
// indexes, and rows above it are always candidates (scanned). File ids
// come from AUTOINCREMENT, so new files are always above the watermark. A
// search that finds rows above the watermark starts a catch-up goroutine
// for the account (at most one per process and account), which indexes
// the next rows in small write transactions, pausing between them so that
// deliveries get the write lock, until it reaches the newest file (about
// 150 files a second on a busy two-core machine; a 20,000-message account
// is indexed in a few minutes, and searches scan only the rest meanwhile). Each
// batch reads the watermark inside its transaction, so catch-ups in two
// processes never index a row twice.
//
// Expunge deletes files rows (collectFreeFiles); the trigger files_fts
// deletes their index rows in the same transaction, so the index never
// names a file that is gone.

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Limits of the catch-up indexer: one write transaction indexes at most
// ftsBatchRows files or ftsBatchBytes of text (about 25 ms of work, the
// longest an APPEND or a delivery waits for it), then the indexer sleeps
// twice as long as the batch took, so it holds the write lock at most a
// third of the time.
const (
	ftsBatchRows  = 16
	ftsBatchBytes = 1 << 20
	ftsPause      = 2 // sleep = ftsPause × batch time
)

// ftsMaxTrigrams caps the trigrams a needle contributes to a MATCH
// expression; a subset of a needle's trigrams still selects a superset.
const ftsMaxTrigrams = 16

// ftsWatermarkKey is the meta key of the indexing watermark.
const ftsWatermarkKey = "fts_indexed"

// indexing holds the accounts (*accountDB) whose catch-up goroutine is
// running in this process.
var indexing sync.Map

// ftsWatermark returns the highest file id both indexes are complete up
// to.
func ftsWatermark(ctx context.Context, q querier) (int64, error) {
	var wm int64
	err := q.QueryRowContext(ctx, `SELECT coalesce((SELECT v FROM meta WHERE k = ?), 0)`, ftsWatermarkKey).Scan(&wm)
	return wm, err
}

// ftsLag reports whether files above the watermark exist.
func ftsLag(ctx context.Context, q querier, wm int64) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM files WHERE id > ?)`, wm).Scan(&n)
	return n != 0, err
}

// ftsTrigger is how many appends in this process start the indexer of
// an account whose store does maintenance, so that the index keeps up
// with deliveries without a write transaction of its own per message.
const ftsTrigger = 256

// ftsQuiet is how long an account must have had no append before the
// background indexer takes a batch: indexing competes with deliveries
// for the write lock and the CPU (during a burst of LMTP deliveries it
// put 100 ms on the slowest ones), so it works in the lulls. A search
// meanwhile scans the files above the watermark.
const ftsQuiet = 2 * time.Second

// noteAppend records an append for ftsTrigger and ftsQuiet.
func (a *accountDB) noteAppend() {
	if a.bg == nil {
		return
	}
	a.lastAppend.Store(time.Now().UnixNano())
	if a.unindexed.Add(1) >= ftsTrigger {
		a.unindexed.Store(0)
		a.startIndexer(a.bg.ctx)
	}
}

// startIndexer starts the catch-up goroutine of a unless one is running.
// It runs detached from ctx's cancellation (the search that started it
// may end long before) and stops when it has caught up or on any error,
// which it logs; the next search or the next ftsTrigger appends start it
// again. In a store that does maintenance it belongs to the store's
// background work, which Close stops and waits for.
func (a *accountDB) startIndexer(ctx context.Context) {
	if _, running := indexing.LoadOrStore(a, struct{}{}); running {
		return
	}
	run := func(ctx context.Context, log *slog.Logger) {
		defer indexing.Delete(a)
		if err := a.catchUp(ctx, nil, a.waitQuiet); err != nil && ctx.Err() == nil {
			log.Warn("search index catch-up stopped", "account", filepath.Base(a.dir), "err", err)
		}
	}
	if a.bg == nil {
		go run(context.WithoutCancel(ctx), slog.Default())
		return
	}
	if !a.bg.goDo(func(ctx context.Context) { run(ctx, a.bg.log) }) {
		indexing.Delete(a)
	}
}

// waitQuiet returns once the account has had no append for ftsQuiet.
func (a *accountDB) waitQuiet(ctx context.Context) error {
	for {
		idle := time.Since(time.Unix(0, a.lastAppend.Load()))
		if idle >= ftsQuiet {
			return nil
		}
		t := time.NewTimer(ftsQuiet - idle)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// catchUp indexes batches until no file is above the watermark or a batch
// fails. pause, when set, replaces the sleep between batches (tests);
// quiet, when set, is waited for before each batch.
func (a *accountDB) catchUp(ctx context.Context, pause func(time.Duration), quiet func(context.Context) error) error {
	if pause == nil {
		pause = time.Sleep
	}
	for {
		if quiet != nil {
			if err := quiet(ctx); err != nil {
				return err
			}
		}
		start := time.Now()
		more, err := a.indexBatch(ctx)
		if err != nil || !more {
			return err
		}
		pause(ftsPause * time.Since(start))
	}
}

// indexBatch indexes the files just above the watermark and moves it up,
// in one write transaction. It reports whether files remain above it.
func (a *accountDB) indexBatch(ctx context.Context) (more bool, err error) {
	// Derived data: a power loss that undoes a batch only lowers the
	// watermark back, so no fsync is needed.
	err = a.updateAs(ctx, relaxed, nil, func(w *wtx) error {
		wm, err := ftsWatermark(ctx, w.tx)
		if err != nil {
			return err
		}
		type doc struct {
			id           int64
			body, header string
		}
		var docs []doc
		size := 0
		rows, err := w.tx.QueryContext(ctx, `SELECT file_id, body, header FROM search WHERE file_id > ? ORDER BY file_id LIMIT ?`,
			wm, ftsBatchRows)
		if err != nil {
			return err
		}
		for rows.Next() && size < ftsBatchBytes {
			var d doc
			var body, header []byte
			if err := rows.Scan(&d.id, &body, &header); err != nil {
				rows.Close()
				return err
			}
			d.body, d.header = ftsText(body), ftsText(header)
			size += len(d.body) + len(d.header)
			docs = append(docs, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(docs) == 0 {
			// Files without a search row (none are written so) would
			// otherwise stop the watermark forever.
			var top sql.NullInt64
			if err := w.tx.QueryRowContext(ctx, `SELECT max(id) FROM files`).Scan(&top); err != nil {
				return err
			}
			if !top.Valid || top.Int64 <= wm {
				return nil
			}
			return setWatermark(w, top.Int64)
		}
		for _, d := range docs {
			if _, err := w.tx.ExecContext(ctx, `INSERT INTO search_body_fts(rowid, body) VALUES (?, ?)`, d.id, d.body); err != nil {
				return err
			}
			if _, err := w.tx.ExecContext(ctx, `INSERT INTO search_header_fts(rowid, header) VALUES (?, ?)`, d.id, d.header); err != nil {
				return err
			}
		}
		last := docs[len(docs)-1].id
		if err := setWatermark(w, last); err != nil {
			return err
		}
		more, err = ftsLag(ctx, w.tx, last)
		return err
	})
	return more, err
}

// setWatermark records that every file up to id is indexed.
func setWatermark(w *wtx, id int64) error {
	_, err := w.tx.ExecContext(w.ctx, `INSERT INTO meta(k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v`,
		ftsWatermarkKey, id)
	return err
}

// ftsText returns b as valid UTF-8 for the trigram tokenizer: each run of
// invalid bytes becomes U+FFFD. See the notes above.
func ftsText(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// errNotIndexable is returned by ftsQuery for a needle the trigram index
// cannot narrow.
var errNotIndexable = errors.New("needle not indexable")

// ftsQuery returns an FTS5 MATCH expression that every text containing
// the folded needle matches: trigrams of it, each a quoted string, joined
// by AND (with detail=none each string must be a single trigram). It
// takes every other trigram and the last one, so that each pair of
// adjacent characters is in some trigram: on a 20,000-message mailbox
// this selects as few rows as all the trigrams do, in a third of the
// time. Beyond ftsMaxTrigrams, those are thinned out evenly.
func ftsQuery(needle string) (string, error) {
	if !utf8.ValidString(needle) || strings.IndexByte(needle, 0) >= 0 {
		return "", errNotIndexable
	}
	var starts []int // byte offset of each rune
	for i := range needle {
		starts = append(starts, i)
	}
	n := len(starts) - 2 // trigrams
	if n < 1 {
		return "", errNotIndexable
	}
	var picks []int // rune index of each trigram used
	for k := 0; k < n; k += 2 {
		picks = append(picks, k)
	}
	if picks[len(picks)-1] != n-1 {
		picks = append(picks, n-1)
	}
	if len(picks) > ftsMaxTrigrams {
		// Keep the first and the last, spread the rest.
		thin := make([]int, ftsMaxTrigrams)
		for j := range thin {
			thin[j] = picks[j*(len(picks)-1)/(ftsMaxTrigrams-1)]
		}
		picks = thin
	}
	var b strings.Builder
	for j, k := range picks {
		end := len(needle)
		if k+3 < len(starts) {
			end = starts[k+3]
		}
		if j > 0 {
			b.WriteString(" AND ")
		}
		b.WriteByte('"')
		b.WriteString(strings.ReplaceAll(needle[starts[k]:end], `"`, `""`))
		b.WriteByte('"')
	}
	return b.String(), nil
}
