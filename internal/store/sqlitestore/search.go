package sqlitestore

import (
	"context"
	"fmt"
	"strings"

	"petrel.dev/petrel/internal/message"
	"petrel.dev/petrel/internal/store"
)

// Limits on SearchText and SearchHeaderText.
const (
	maxNeedles   = 64
	maxNeedleLen = 4096 // bytes, before folding
)

// scope is the text a search reads.
type scope uint8

const (
	scopeBody   scope = iota // search.body (SEARCH BODY)
	scopeText                // search.body or search.header, per needle (SEARCH TEXT)
	scopeHeader              // search.header only (prefilter of header keys)
)

// SearchText returns those of uids (all when nil) whose folded decoded
// text contains every needle. RFC 9051 §6.4.4: BODY matches the body,
// TEXT the header or the body; comparison is i;unicode-casemap (RFC 5051),
// done here as a byte substring test (instr on BLOBs) of message.Fold'ed
// needles in message.Fold'ed text, which is exact for valid UTF-8. The
// trigram indexes of fts.go narrow the rows tested.
func (mb *Mailbox) SearchText(ctx context.Context, uids []uint32, needles []string, header bool) ([]uint32, error) {
	sc := scopeBody
	if header {
		sc = scopeText
	}
	return mb.search(ctx, uids, needles, sc)
}

// SearchHeaderText returns a subset of uids (all messages when nil) that
// holds every message whose folded decoded header fields, the text
// SearchText with header true reads besides the body, contain every
// needle; it may hold others. SEARCH narrows header keys with it and then
// decides each candidate from its header block: message.SearchHeader's
// text holds each field's decoded value as message.HeaderValues returns it
// (up to surrounding white space), so no message a header key matches is
// left out.
//
// It answers from the trigram index alone, without reading any text:
// exact tests of the header text would walk each candidate's body (the
// header column follows it in the row), which costs more than parsing
// the candidate's header block. Needles the index cannot narrow, and
// files above the watermark, keep every message.
func (mb *Mailbox) SearchHeaderText(ctx context.Context, uids []uint32, needles []string) ([]uint32, error) {
	return mb.search(ctx, uids, needles, scopeHeader)
}

// search implements SearchText and SearchHeaderText.
func (mb *Mailbox) search(ctx context.Context, uids []uint32, needles []string, sc scope) ([]uint32, error) {
	if len(needles) > maxNeedles {
		return nil, fmt.Errorf("search: too many search strings: %w", store.ErrCannot)
	}
	folded := make([]string, len(needles))
	for i, n := range needles {
		if len(n) > maxNeedleLen {
			return nil, fmt.Errorf("search: search string too long: %w", store.ErrCannot)
		}
		folded[i] = message.Fold(n)
	}
	a := mb.ac.a
	if _, err := mboxByID(ctx, a.db.r, mb.id); err != nil {
		return nil, fmt.Errorf("search in mailbox %d: %w", mb.id, err)
	}
	if uids != nil && len(uids) == 0 {
		return nil, nil
	}
	wm, err := ftsWatermark(ctx, a.db.r)
	if err != nil {
		return nil, fmt.Errorf("search in mailbox %d: %w", mb.id, err)
	}
	if lag, err := ftsLag(ctx, a.db.r, wm); err != nil {
		return nil, fmt.Errorf("search in mailbox %d: %w", mb.id, err)
	} else if lag {
		a.startIndexer(ctx)
	}
	q, args, filter := searchQuery(mb.id, uids, folded, sc, wm)
	rows, err := a.db.r.QueryInterruptible(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("search in mailbox %d: %w", mb.id, err)
	}
	defer rows.Close()
	var out []uint32
	for rows.Next() {
		var u uint32
		if err := rows.Scan(&u); err != nil {
			return nil, fmt.Errorf("search in mailbox %d: %w", mb.id, err)
		}
		if filter.has(u) {
			out = append(out, u)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search in mailbox %d: %w", mb.id, err)
	}
	return out, nil
}

// uidFilter keeps the UIDs of a sorted set, for results read in
// ascending UID order; nil keeps all.
type uidFilter struct {
	uids []uint32
	i    int
}

// has reports whether u is in the set; calls must ascend.
func (f *uidFilter) has(u uint32) bool {
	if f == nil {
		return true
	}
	for f.i < len(f.uids) && f.uids[f.i] < u {
		f.i++
	}
	return f.i < len(f.uids) && f.uids[f.i] == u
}

// searchQuery builds the query of search with folded needles. A dense UID
// set is selected as a range and filtered by the returned filter (a JSON
// list of many UIDs costs more than it saves); a sparse one as a list.
// Rows above the FTS watermark wm are always candidates; below it, those
// the trigram indexes name for every indexable needle. scopeHeader has no
// exact test: see SearchHeaderText.
func searchQuery(mailboxID int64, uids []uint32, folded []string, sc scope, wm int64) (string, []any, *uidFilter) {
	var q strings.Builder
	args := []any{mailboxID}
	// CROSS JOIN keeps messages as the outer loop, so that the
	// candidate test runs before any search row is read.
	if sc == scopeHeader {
		q.WriteString(`SELECT m.uid FROM messages m WHERE m.mailbox_id = ?`)
	} else {
		q.WriteString(`SELECT m.uid FROM messages m CROSS JOIN search s ON s.file_id = m.file_id WHERE m.mailbox_id = ?`)
	}
	var filter *uidFilter
	if uids != nil {
		s := sortedUIDs(uids)
		if len(s) == 0 {
			s = []uint32{0} // only zeros: nothing
		}
		lo, hi := s[0], s[len(s)-1]
		if int64(len(s))*2 >= int64(hi)-int64(lo)+1 {
			q.WriteString(` AND m.uid BETWEEN ? AND ?`)
			args = append(args, lo, hi)
			filter = &uidFilter{uids: s}
		} else {
			q.WriteString(` AND m.uid IN (SELECT value FROM json_each(?))`)
			args = append(args, uidsJSON(s))
		}
	}
	var cand []string
	var candArgs []any
	var one []string // scopeBody, scopeHeader: the MATCH of every needle
	for _, f := range folded {
		fq, err := ftsQuery(f)
		if err != nil {
			continue // not narrowed by this needle
		}
		if sc == scopeText {
			// Each needle in the body or in the header.
			cand = append(cand, `m.file_id IN (SELECT rowid FROM search_body_fts WHERE search_body_fts MATCH ?
				UNION SELECT rowid FROM search_header_fts WHERE search_header_fts MATCH ?)`)
			candArgs = append(candArgs, fq, fq)
		} else {
			one = append(one, fq)
		}
	}
	if len(one) > 0 {
		table := "search_body_fts"
		if sc == scopeHeader {
			table = "search_header_fts"
		}
		cand = append(cand, `m.file_id IN (SELECT rowid FROM `+table+` WHERE `+table+` MATCH ?)`)
		candArgs = append(candArgs, strings.Join(one, " AND "))
	}
	if len(cand) > 0 {
		q.WriteString(` AND (m.file_id > ? OR (` + strings.Join(cand, ` AND `) + `))`)
		args = append(args, wm)
		args = append(args, candArgs...)
	}
	for _, f := range folded {
		b := []byte(f)
		switch sc {
		case scopeBody:
			q.WriteString(` AND instr(s.body, ?) > 0`)
			args = append(args, b)
		case scopeText:
			q.WriteString(` AND (instr(s.body, ?) > 0 OR instr(s.header, ?) > 0)`)
			args = append(args, b, b)
		}
	}
	q.WriteString(` ORDER BY m.uid`)
	return q.String(), args, filter
}
