package bench

// The resync scenario measures what a disconnected client pays to catch
// up with a big mailbox after a few changes (issue 6's benchmark): the
// bytes the server sends and the time, with QRESYNC (RFC 7162 §3.2.5,
// SELECT with the QRESYNC parameter; §3.2.6, UID FETCH with CHANGEDSINCE
// and VANISHED) against a full UID FETCH 1:* (UID FLAGS).
//
// Steps, all on user 1 of --user-template:
//  1. ENABLE QRESYNC, SELECT INBOX: UIDVALIDITY and HIGHESTMODSEQ.
//  2. UID FETCH 1:* (UID FLAGS), resyncReps times on that connection
//     (a QRESYNC-aware client, whose FETCH responses carry MODSEQ per
//     RFC 7162 §3.1), then resyncReps times on a plain connection (a
//     client without CONDSTORE), the median of each reported.
//  3. From another connection: resyncChanges flag changes
//     (UID STORE +FLAGS.SILENT ($BenchResync)) and resyncChanges expunges
//     (UID STORE +FLAGS.SILENT (\Deleted), UID EXPUNGE), on UIDs chosen
//     from --seed.
//  4. resyncReps fresh connections: ENABLE QRESYNC, then
//     SELECT INBOX (QRESYNC (uidvalidity modseq)) and
//     UID FETCH 1:* (FLAGS) (CHANGEDSINCE modseq VANISHED). Each must
//     report the expunged UIDs as VANISHED (EARLIER) and at least
//     resyncChanges FETCH responses; otherwise it counts as an error.
//
// Bytes are everything the server sent between the command and its
// tagged response, inclusive (commands run one at a time, so the read
// counter's difference is exactly that).

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// resyncScenario is registered in main.go (see extraScenarios).
var resyncScenario = scenario{
	help:        "bytes and time of a QRESYNC resync vs a full UID FETCH 1:* (UID FLAGS) after 10 flag changes and 10 expunges (user 1)",
	needsServer: true,
	run:         runResync,
}

const (
	resyncFlag    = "$BenchResync"
	resyncChanges = 10      // flag changes, and expunges
	resyncReps    = 3       // repetitions of each measurement
	maxUIDSet     = 1 << 24 // UIDs a parsed VANISHED set may hold
)

// Command names of the report.
const (
	nameFull         = "UID FETCH 1:* (UID FLAGS) qresync-enabled"
	nameFullPlain    = "UID FETCH 1:* (UID FLAGS) plain"
	nameSelectQR     = "SELECT (QRESYNC)"
	nameChangedSince = "UID FETCH (CHANGEDSINCE VANISHED)"
)

// resyncRun holds the state of one run.
type resyncRun struct {
	o        *Options
	rec      *Recorder
	user     string
	validity uint64
	modseq   uint64
}

// measured is one timed command: the bytes the server sent and the time.
type measured struct {
	bytes int64
	d     time.Duration
}

func runResync(ctx context.Context, o *Options, rec *Recorder, _ io.Writer) error {
	r := &resyncRun{o: o, rec: rec, user: o.user(1)}

	// Steps 1 and 2.
	c, err := r.login(ctx, true)
	if err != nil {
		return err
	}
	exists, err := r.selectState(c)
	if err != nil {
		c.close()
		return err
	}
	rec.Set("messages", float64(exists))
	rec.Set("highestmodseq", float64(r.modseq))
	var uids []uint32
	flagged := map[uint32]bool{}
	modseqLines := 0
	full, err := r.repeat(c, nameFull, "UID FETCH 1:* (UID FLAGS)", func(rep int) func([]byte) {
		return func(l []byte) {
			if rep > 0 {
				return
			}
			u, ok := fetchUID(l)
			if !ok {
				return
			}
			uids = append(uids, u)
			s := strings.ToUpper(string(l))
			if strings.Contains(s, strings.ToUpper(resyncFlag)) {
				flagged[u] = true
			}
			if strings.Contains(s, "MODSEQ (") {
				modseqLines++
			}
		}
	})
	logout(c)
	if err != nil {
		return err
	}
	rec.Set("full_fetch_modseq_lines", float64(modseqLines))

	plainConn, err := r.login(ctx, false)
	if err != nil {
		return err
	}
	var plain measured
	if _, err = plainConn.selectBox("INBOX"); err == nil {
		plain, err = r.repeat(plainConn, nameFullPlain, "UID FETCH 1:* (UID FLAGS)", nil)
	}
	logout(plainConn)
	if err != nil {
		return err
	}

	// Step 3.
	flagUIDs, gone, err := pickUIDs(uids, flagged, o.Seed, resyncChanges)
	if err != nil {
		return err
	}
	if err := r.change(ctx, flagUIDs, gone); err != nil {
		return err
	}

	// Step 4.
	sel, since, err := r.resync(ctx, gone)
	rec.Set("full_bytes", float64(full.bytes))
	rec.Set("full_ms", ms(full.d))
	rec.Set("full_plain_bytes", float64(plain.bytes))
	rec.Set("full_plain_ms", ms(plain.d))
	rec.Set("qresync_select_bytes", float64(sel.bytes))
	rec.Set("qresync_select_ms", ms(sel.d))
	rec.Set("changedsince_bytes", float64(since.bytes))
	rec.Set("changedsince_ms", ms(since.d))
	if sel.bytes > 0 {
		rec.Set("ratio_full_plain_over_qresync_select_bytes", float64(plain.bytes)/float64(sel.bytes))
	}
	if since.bytes > 0 {
		rec.Set("ratio_full_plain_over_changedsince_bytes", float64(plain.bytes)/float64(since.bytes))
	}
	if sel.d > 0 {
		rec.Set("ratio_full_plain_over_qresync_select_time", float64(plain.d)/float64(sel.d))
	}
	if err != nil {
		return err
	}
	if n := rec.Errors(); n > 0 {
		return fmt.Errorf("%d errors (failed sanity checks or commands)", n)
	}
	return nil
}

// login connects and logs in, then sends ENABLE QRESYNC when qresync,
// which the server must confirm (RFC 5161 §3.2: "* ENABLED QRESYNC").
func (r *resyncRun) login(ctx context.Context, qresync bool) (*client, error) {
	start := time.Now()
	c, err := r.o.dialer().dial(ctx)
	r.rec.Done("CONNECT", time.Since(start), 0, err)
	if err != nil {
		return nil, err
	}
	if err := r.one(c, "LOGIN", func() error { return c.login(r.user, r.o.Password) }); err != nil {
		c.close()
		return nil, err
	}
	if !qresync {
		return c, nil
	}
	enabled := false
	err = r.one(c, "ENABLE QRESYNC", func() error {
		err := c.cmd("ENABLE QRESYNC", func(l []byte) {
			if f := strings.Fields(strings.ToUpper(string(l))); len(f) > 2 && f[1] == "ENABLED" && slices.Contains(f[2:], "QRESYNC") {
				enabled = true
			}
		})
		if err == nil && !enabled {
			err = errors.New("ENABLE QRESYNC: server did not answer ENABLED QRESYNC")
		}
		return err
	})
	if err != nil {
		c.close()
		return nil, err
	}
	return c, nil
}

// one runs f on c and records it under name with the bytes received.
func (r *resyncRun) one(c *client, name string, f func() error) error {
	before := c.read
	start := time.Now()
	err := f()
	r.rec.Done(name, time.Since(start), c.read-before, err)
	return err
}

// selectState selects INBOX and records UIDVALIDITY and HIGHESTMODSEQ
// (RFC 7162 §3.1.2.1: "* OK [HIGHESTMODSEQ n]").
func (r *resyncRun) selectState(c *client) (uint32, error) {
	var exists uint32
	err := r.one(c, "SELECT", func() error {
		return c.cmd("SELECT INBOX", func(l []byte) {
			if n, w, ok := untaggedNumber(l); ok && w == "EXISTS" {
				exists = n
			}
			if v, ok := respCodeNumber(l, "UIDVALIDITY"); ok {
				r.validity = v
			}
			if v, ok := respCodeNumber(l, "HIGHESTMODSEQ"); ok {
				r.modseq = v
			}
		})
	})
	switch {
	case err != nil:
		return 0, err
	case r.validity == 0 || r.modseq == 0:
		return 0, fmt.Errorf("SELECT INBOX: no UIDVALIDITY (%d) or HIGHESTMODSEQ (%d)", r.validity, r.modseq)
	case exists < 2*resyncChanges:
		return 0, fmt.Errorf("INBOX has %d messages, at least %d needed: run the setup scenario first", exists, 2*resyncChanges)
	}
	return exists, nil
}

// repeat runs line resyncReps times on c, recording each under name, and
// returns the median bytes and time. onLine(rep) gives each repetition's
// handler of untagged lines (nil: none).
func (r *resyncRun) repeat(c *client, name, line string, onLine func(rep int) func([]byte)) (measured, error) {
	var ms []measured
	for rep := range resyncReps {
		var h func([]byte)
		if onLine != nil {
			h = onLine(rep)
		}
		before := c.read
		start := time.Now()
		err := c.cmd(line, h)
		m := measured{c.read - before, time.Since(start)}
		r.rec.Done(name, m.d, m.bytes, err)
		if err != nil {
			return measured{}, err
		}
		ms = append(ms, m)
	}
	return medianOf(ms), nil
}

// change makes the flag changes and the expunges from a connection of
// its own.
func (r *resyncRun) change(ctx context.Context, flagUIDs, gone []uint32) error {
	c, err := r.login(ctx, false)
	if err != nil {
		return err
	}
	defer logout(c)
	if _, err := c.selectBox("INBOX"); err != nil {
		return err
	}
	for _, u := range flagUIDs {
		line := fmt.Sprintf("UID STORE %d +FLAGS.SILENT (%s)", u, resyncFlag)
		if err := r.one(c, "UID STORE flag", func() error { return c.cmd(line, nil) }); err != nil {
			return err
		}
	}
	set := uidSetString(gone)
	if err := r.one(c, "UID STORE \\Deleted", func() error {
		return c.cmd("UID STORE "+set+` +FLAGS.SILENT (\Deleted)`, nil)
	}); err != nil {
		return err
	}
	// RFC 4315 §2.1: UID EXPUNGE removes only the given UIDs.
	return r.one(c, "UID EXPUNGE", func() error { return c.cmd("UID EXPUNGE "+set, nil) })
}

// resyncCheck tallies a resync response: the VANISHED (EARLIER) UIDs
// and the FETCH responses.
type resyncCheck struct {
	vanished []uidRange
	count    int // UIDs in vanished
	fetches  int
	err      error // first malformed VANISHED
}

func (k *resyncCheck) line(l []byte) {
	if set, earlier, ok := vanishedSet(l); ok && earlier {
		rs, n, err := parseUIDSet(set, maxUIDSet-k.count)
		if err != nil && k.err == nil {
			k.err = err
		}
		k.vanished = append(k.vanished, rs...)
		k.count += n
		return
	}
	if _, w, ok := untaggedNumber(l); ok && w == "FETCH" {
		k.fetches++
	}
}

// verify returns an error unless every UID of gone vanished and at least
// resyncChanges FETCH responses came.
func (k *resyncCheck) verify(what string, gone []uint32) error {
	if k.err != nil {
		return fmt.Errorf("%s: %w", what, k.err)
	}
	if miss := missing(k.vanished, gone); len(miss) > 0 {
		return fmt.Errorf("%s: expunged UIDs %s not in VANISHED (EARLIER)", what, uidSetString(miss))
	}
	if k.fetches < resyncChanges {
		return fmt.Errorf("%s: %d FETCH responses, want at least %d", what, k.fetches, resyncChanges)
	}
	return nil
}

// resync measures the QRESYNC SELECT and the UID FETCH (CHANGEDSINCE
// VANISHED), each on resyncReps fresh connections, and returns the
// medians.
func (r *resyncRun) resync(ctx context.Context, gone []uint32) (sel, since measured, err error) {
	var sels, sinces []measured
	selLine := fmt.Sprintf("SELECT INBOX (QRESYNC (%d %d))", r.validity, r.modseq)
	sinceLine := fmt.Sprintf("UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d VANISHED)", r.modseq)
	for range resyncReps {
		c, err := r.login(ctx, true)
		if err != nil {
			return sel, since, err
		}
		for _, step := range []struct {
			name, line string
			out        *[]measured
		}{{nameSelectQR, selLine, &sels}, {nameChangedSince, sinceLine, &sinces}} {
			var k resyncCheck
			before := c.read
			start := time.Now()
			err := c.cmd(step.line, k.line)
			m := measured{c.read - before, time.Since(start)}
			r.rec.Done(step.name, m.d, m.bytes, err)
			if err != nil {
				c.close()
				return sel, since, err
			}
			*step.out = append(*step.out, m)
			if err := k.verify(step.name, gone); err != nil {
				r.rec.Done(step.name, 0, 0, err)
			}
			r.rec.Set("vanished_uids", float64(k.count))
			r.rec.Set("changed_fetches", float64(k.fetches))
		}
		logout(c)
	}
	return medianOf(sels), medianOf(sinces), nil
}

// logout ends a session politely, ignoring errors.
func logout(c *client) {
	_ = c.cmd("LOGOUT", nil)
	c.close()
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// medianOf returns the median bytes and the median time of ms, each on
// its own (the lower middle for an even count).
func medianOf(ms []measured) measured {
	if len(ms) == 0 {
		return measured{}
	}
	b := make([]int64, len(ms))
	d := make([]time.Duration, len(ms))
	for i, m := range ms {
		b[i], d[i] = m.bytes, m.d
	}
	slices.Sort(b)
	slices.Sort(d)
	mid := (len(ms) - 1) / 2
	return measured{b[mid], d[mid]}
}

// pickUIDs chooses, deterministically from seed, n UIDs to flag (among
// those not flagged yet, so that each STORE changes the message) and n
// other UIDs to expunge.
func pickUIDs(uids []uint32, flagged map[uint32]bool, seed uint64, n int) (flag, gone []uint32, err error) {
	rnd := rand.New(rand.NewPCG(seed, 0x7265737963)) // "resyc"
	used := map[uint32]bool{}
	for tries := 0; (len(flag) < n || len(gone) < n) && tries < 100*n+len(uids); tries++ {
		if len(uids) == 0 {
			break
		}
		u := uids[rnd.IntN(len(uids))]
		if used[u] {
			continue
		}
		switch {
		case len(flag) < n && !flagged[u]:
			flag = append(flag, u)
		case len(gone) < n && len(flag) == n:
			gone = append(gone, u)
		default:
			continue
		}
		used[u] = true
	}
	if len(flag) < n || len(gone) < n {
		return nil, nil, fmt.Errorf("cannot pick %d+%d UIDs among %d messages (%d already flagged %s)", n, n, len(uids), len(flagged), resyncFlag)
	}
	slices.Sort(gone)
	return flag, gone, nil
}

// respCodeNumber returns the number of response code "[CODE n]" in an
// untagged line, such as "* OK [HIGHESTMODSEQ 715194045007] Highest".
func respCodeNumber(line []byte, code string) (uint64, bool) {
	s := string(line)
	if !strings.HasPrefix(s, "* ") {
		return 0, false
	}
	i := strings.Index(strings.ToUpper(s), "["+strings.ToUpper(code)+" ")
	if i < 0 {
		return 0, false
	}
	num, _, ok := strings.Cut(s[i+len(code)+2:], "]")
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseUint(num, 10, 64)
	return v, err == nil
}

// fetchUID returns the UID item of an untagged FETCH response, such as
// "* 12 FETCH (UID 34 FLAGS (\Seen))".
func fetchUID(line []byte) (uint32, bool) {
	_, w, ok := untaggedNumber(line)
	if !ok || w != "FETCH" {
		return 0, false
	}
	s := strings.ToUpper(string(line))
	i := strings.Index(s, " FETCH (")
	if i < 0 {
		return 0, false
	}
	items := strings.Fields(strings.NewReplacer("(", " ( ", ")", " ) ").Replace(s[i+len(" FETCH ("):]))
	// Items alternate name and value at depth 0; a FLAGS list is skipped
	// by tracking the depth.
	depth := 0
	for j, f := range items {
		switch f {
		case "(":
			depth++
		case ")":
			depth--
		case "UID":
			if depth == 0 && j+1 < len(items) {
				v, err := strconv.ParseUint(items[j+1], 10, 32)
				return uint32(v), err == nil && v > 0
			}
		}
	}
	return 0, false
}

// vanishedSet returns the UID set of a VANISHED response (RFC 7162
// §3.2.10: "* VANISHED (EARLIER) 41,43:116") and whether it has the
// EARLIER tag.
func vanishedSet(line []byte) (set string, earlier, ok bool) {
	s := string(line)
	if len(s) < 11 || !strings.EqualFold(s[:11], "* VANISHED ") {
		return "", false, false
	}
	s = s[11:]
	if len(s) >= 10 && strings.EqualFold(s[:10], "(EARLIER) ") {
		return strings.TrimSpace(s[10:]), true, true
	}
	return strings.TrimSpace(s), false, true
}

// uidRange is a closed range of UIDs, lo <= hi.
type uidRange struct{ lo, hi uint32 }

// parseUIDSet parses a sequence-set of UIDs without "*" (RFC 9051 §9
// sequence-set; RFC 7162 §3.2.10 known-uids) and returns its ranges and
// how many UIDs they hold, which must not exceed limit.
func parseUIDSet(s string, limit int) ([]uidRange, int, error) {
	if s == "" {
		return nil, 0, errors.New("empty UID set")
	}
	var rs []uidRange
	total := 0
	for part := range strings.SplitSeq(s, ",") {
		a, b, isRange := strings.Cut(part, ":")
		lo, err := parseUID(a)
		if err != nil {
			return nil, 0, err
		}
		hi := lo
		if isRange {
			if hi, err = parseUID(b); err != nil {
				return nil, 0, err
			}
		}
		if lo > hi {
			lo, hi = hi, lo
		}
		total += int(hi-lo) + 1
		if total > limit {
			return nil, 0, fmt.Errorf("UID set %.40q holds over %d UIDs", s, limit)
		}
		rs = append(rs, uidRange{lo, hi})
	}
	return rs, total, nil
}

func parseUID(s string) (uint32, error) {
	v, err := strconv.ParseUint(s, 10, 32)
	if err != nil || v == 0 || s[0] == '+' {
		return 0, fmt.Errorf("bad UID %.20q", s)
	}
	return uint32(v), nil
}

// missing returns the UIDs of want outside rs.
func missing(rs []uidRange, want []uint32) []uint32 {
	var out []uint32
	for _, u := range want {
		if !slices.ContainsFunc(rs, func(r uidRange) bool { return r.lo <= u && u <= r.hi }) {
			out = append(out, u)
		}
	}
	return out
}

// uidSetString formats uids, in order, as "a,b,c".
func uidSetString(uids []uint32) string {
	parts := make([]string, len(uids))
	for i, u := range uids {
		parts[i] = strconv.FormatUint(uint64(u), 10)
	}
	return strings.Join(parts, ",")
}
