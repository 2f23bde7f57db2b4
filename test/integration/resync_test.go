package integration

// Resynchronisation (CONDSTORE and QRESYNC, RFC 7162) checked against
// every target: raw transcripts of the RFC's edge cases, real clients
// (mbsync, offlineimap3, go-imap's CHANGEDSINCE) syncing incrementally
// after server-side and client-side changes.
//
// Petrel keeps every expunged UID, so its VANISHED (EARLIER) answers must
// be exact; Dovecot may send a superset (RFC 7162 §3.2.5.1 allows it), so
// for Dovecot only the required part is checked.

import (
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
)

var (
	rsFetch    = regexp.MustCompile(`(?s)^\* (\d+) FETCH \((.*)\)$`)
	rsUID      = regexp.MustCompile(`(?:^| )UID (\d+)`)
	rsFlags    = regexp.MustCompile(`(?:^| )FLAGS \(([^)]*)\)`)
	rsModSeq   = regexp.MustCompile(`(?:^| )MODSEQ \((\d+)\)`)
	rsVanished = regexp.MustCompile(`^\* VANISHED (\(EARLIER\) )?([0-9:,]+)$`)
	rsExpunge  = regexp.MustCompile(`^\* \d+ EXPUNGE$`)
	rsHighest  = regexp.MustCompile(`^\* OK \[HIGHESTMODSEQ (\d+)\]`)
	rsUIDVal   = regexp.MustCompile(`^\* OK \[UIDVALIDITY (\d+)\]`)
)

// normFlagList sorts a FLAGS list and drops \Recent (session state).
func normFlagList(list string) string {
	var out []string
	for _, f := range strings.Fields(list) {
		if !strings.EqualFold(f, `\Recent`) {
			out = append(out, f)
		}
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}

// rsItem is one untagged FETCH with its UID, FLAGS and MODSEQ (0 when
// absent).
type rsItem struct {
	uid      uint32
	flags    string
	hasFlags bool
	modseq   uint64
}

func parseRsFetch(line string) (rsItem, bool) {
	m := rsFetch.FindStringSubmatch(line)
	if m == nil {
		return rsItem{}, false
	}
	var it rsItem
	if u := rsUID.FindStringSubmatch(m[2]); u != nil {
		n, _ := strconv.ParseUint(u[1], 10, 32)
		it.uid = uint32(n)
	}
	if f := rsFlags.FindStringSubmatch(m[2]); f != nil {
		it.flags, it.hasFlags = normFlagList(f[1]), true
	}
	if ms := rsModSeq.FindStringSubmatch(m[2]); ms != nil {
		it.modseq, _ = strconv.ParseUint(ms[1], 10, 64)
	}
	return it, true
}

// uidsOf expands a UID set without "*".
func uidsOf(t *testing.T, set string) []uint32 {
	t.Helper()
	var out []uint32
	for _, part := range strings.Split(set, ",") {
		a, b, isRange := strings.Cut(part, ":")
		lo, err1 := strconv.ParseUint(a, 10, 32)
		hi := lo
		var err2 error
		if isRange {
			hi, err2 = strconv.ParseUint(b, 10, 32)
		}
		if err1 != nil || err2 != nil {
			t.Fatalf("bad UID set %q", set)
		}
		if lo > hi {
			lo, hi = hi, lo
		}
		if hi-lo > 100000 {
			t.Fatalf("implausible UID range in %q", set)
		}
		for u := lo; u <= hi; u++ {
			out = append(out, uint32(u))
		}
	}
	return out
}

// boxModel is a client's copy of a mailbox: UID → flags, and the highest
// MODSEQ it has seen.
type boxModel struct {
	flags   map[uint32]string
	highest uint64
	expunge bool // an EXPUNGE response arrived (never allowed under QRESYNC)
}

// apply folds untagged responses into the model: VANISHED (with or
// without EARLIER) removes, FETCH with UID and FLAGS sets, HIGHESTMODSEQ
// and MODSEQ raise highest.
func (m *boxModel) apply(t *testing.T, lines []string) (vanished []uint32, fetched []rsItem) {
	t.Helper()
	for _, l := range lines {
		if v := rsVanished.FindStringSubmatch(l); v != nil {
			for _, u := range uidsOf(t, v[2]) {
				delete(m.flags, u)
				vanished = append(vanished, u)
			}
			continue
		}
		if rsExpunge.MatchString(l) {
			m.expunge = true
		}
		if h := rsHighest.FindStringSubmatch(l); h != nil {
			n, _ := strconv.ParseUint(h[1], 10, 64)
			m.highest = max(m.highest, n)
		}
		if it, ok := parseRsFetch(l); ok && it.hasFlags {
			if it.uid == 0 {
				t.Fatalf("FETCH without UID under QRESYNC: %q", l)
			}
			m.flags[it.uid] = it.flags
			m.highest = max(m.highest, it.modseq)
			fetched = append(fetched, it)
		}
	}
	return vanished, fetched
}

// mailboxFlags reads a mailbox's UID → flags on a fresh connection, with
// its UIDVALIDITY and HIGHESTMODSEQ.
func mailboxFlags(t *testing.T, s *server, mailbox string) (flags map[uint32]string, uidValidity string, highest uint64) {
	t.Helper()
	c := dialConn(t, s, "X")
	c.login(s)
	r := c.cmd("EXAMINE " + mailbox + " (CONDSTORE)")
	for _, l := range r.untagged {
		if m := rsUIDVal.FindStringSubmatch(l); m != nil {
			uidValidity = m[1]
		}
		if m := rsHighest.FindStringSubmatch(l); m != nil {
			highest, _ = strconv.ParseUint(m[1], 10, 64)
		}
	}
	flags = map[uint32]string{}
	for _, l := range c.cmd("UID FETCH 1:* (FLAGS)").untagged {
		if it, ok := parseRsFetch(l); ok {
			flags[it.uid] = it.flags
		}
	}
	c.cmd("LOGOUT")
	return flags, uidValidity, highest
}

func fmtFlags(m map[uint32]string) string {
	var b strings.Builder
	for _, u := range slices.Sorted(maps.Keys(m)) {
		fmt.Fprintf(&b, "%d:(%s) ", u, m[u])
	}
	return b.String()
}

// checkVanished requires the VANISHED UIDs to hold every UID of must and,
// on Petrel, nothing else; on any server none may be a UID in exists.
func checkVanished(t *testing.T, s *server, what string, got, must []uint32, exists map[uint32]string) {
	t.Helper()
	got = slices.Sorted(slices.Values(got))
	for _, u := range must {
		if !slices.Contains(got, u) {
			t.Errorf("%s: VANISHED %v lacks UID %d", what, got, u)
		}
	}
	for _, u := range got {
		if _, ok := exists[u]; ok {
			t.Errorf("%s: VANISHED names UID %d, which exists", what, u)
		}
	}
	if s.Kind == kindPetrel && !slices.Equal(got, slices.Sorted(slices.Values(must))) {
		t.Errorf("%s: VANISHED %v, want exactly %v", what, got, must)
	}
}

// TestResyncEdgeCases: RFC 7162's edge cases as raw transcripts.
func TestResyncEdgeCases(t *testing.T) {
	forEachTarget(t, func(t *testing.T, s *server) {
		a := dialConn(t, s, "A")
		a.login(s)
		a.cmd("CREATE Other")
		for i := 1; i <= 8; i++ {
			a.appendMsg("INBOX", "", simpleMsg("edge "+strconv.Itoa(i), "x"))
		}
		a.cmd("ENABLE QRESYNC")
		var base boxModel
		base.flags = map[uint32]string{}
		base.apply(t, a.cmd("SELECT INBOX").untagged)
		base.apply(t, a.cmd("UID FETCH 1:* (FLAGS)").untagged)
		_, uv, h0 := mailboxFlags(t, s, "INBOX")
		if len(base.flags) != 8 || h0 == 0 || uv == "" {
			t.Fatalf("setup: %d messages, HIGHESTMODSEQ %d, UIDVALIDITY %q", len(base.flags), h0, uv)
		}
		since := func(m uint64) string { return strconv.FormatUint(m, 10) }

		// §3.1.3: "Use of UNCHANGEDSINCE with a modification sequence of
		// 0 always fails if the metadata item exists."
		r := a.cmd(`UID STORE 1,2 (UNCHANGEDSINCE 0) +FLAGS.SILENT (\Seen)`)
		if !strings.HasPrefix(r.text, "[MODIFIED 1:2]") {
			t.Errorf("UNCHANGEDSINCE 0: tagged %q, want [MODIFIED 1:2]", r.text)
		}
		if f, _, h := mailboxFlags(t, s, "INBOX"); f[1] != "" || f[2] != "" || h != h0 {
			t.Errorf("UNCHANGEDSINCE 0 changed something: %s, HIGHESTMODSEQ %d → %d", fmtFlags(f), h0, h)
		}
		// Against the current HIGHESTMODSEQ it succeeds.
		r = a.cmd(`UID STORE 2 (UNCHANGEDSINCE ` + since(h0) + `) +FLAGS.SILENT (\Seen)`)
		if strings.Contains(r.text, "MODIFIED") || !r.has(`\* 2 FETCH \((UID 2 MODSEQ \(\d+\)|MODSEQ \(\d+\) UID 2)\)`) {
			t.Errorf("UNCHANGEDSINCE h0 on UID 2: %q %q", r.untagged, r.text)
		}

		// §3.1.4.1: CHANGEDSINCE with no change since answers nothing.
		_, _, h1 := mailboxFlags(t, s, "INBOX")
		for _, cmd := range []string{
			"UID FETCH 1:* (FLAGS) (CHANGEDSINCE " + since(h1) + ")",
			"FETCH 1:* (FLAGS) (CHANGEDSINCE " + since(h1) + ")",
			"UID FETCH 1:* (FLAGS) (CHANGEDSINCE " + since(h1) + " VANISHED)",
		} {
			if r := a.cmd(cmd); len(r.untagged) != 0 {
				t.Errorf("%s answered %q", cmd, r.untagged)
			}
		}
		if r := a.cmd("SELECT INBOX (QRESYNC (" + uv + " " + since(h1) + "))"); r.has(`\* VANISHED.*`) || r.has(`\* \d+ FETCH.*`) {
			t.Errorf("QRESYNC from the current HIGHESTMODSEQ answered %q", r.untagged)
		}

		// Changes after h1: flags on 5, 3 and 4 expunged (reported as
		// VANISHED, never EXPUNGE, §3.2.10), 7 moved (COPYUID first,
		// then VANISHED, RFC 6851 §4.3 with §3.2.10).
		a.cmd(`UID STORE 5 +FLAGS.SILENT (\Flagged)`)
		a.cmd(`UID STORE 3:4 +FLAGS.SILENT (\Deleted)`)
		r = a.cmd("EXPUNGE")
		if !r.has(`\* VANISHED 3:4`) || r.has(`\* \d+ EXPUNGE`) {
			t.Errorf("EXPUNGE under QRESYNC answered %q, want * VANISHED 3:4", r.untagged)
		}
		r = a.cmd("UID MOVE 7 Other")
		copyAt, vanAt := -1, -1
		for i, l := range r.untagged {
			if regexp.MustCompile(`^\* OK \[COPYUID \d+ 7 \d+\]`).MatchString(l) {
				copyAt = i
			}
			if l == "* VANISHED 7" {
				vanAt = i
			}
			if rsExpunge.MatchString(l) {
				t.Errorf("MOVE under QRESYNC sent %q", l)
			}
		}
		if copyAt < 0 || vanAt < copyAt {
			t.Errorf("MOVE under QRESYNC answered %q; want [COPYUID] then * VANISHED 7", r.untagged)
		}
		now, _, _ := mailboxFlags(t, s, "INBOX")

		// known-uids with expunged (3, 4, 7), unchanged (1, 6),
		// changed (2, 5) and never-existing (100:105) UIDs.
		r = a.cmd("SELECT INBOX (QRESYNC (" + uv + " " + since(h0) + " 1:7,100:105))")
		m := boxModel{flags: maps.Clone(base.flags)}
		van, fetched := m.apply(t, r.untagged)
		checkVanished(t, s, "known-uids 1:7,100:105", van, []uint32{3, 4, 7}, now)
		var got []uint32
		for _, it := range fetched {
			got = append(got, it.uid)
			if it.modseq <= h0 {
				t.Errorf("known-uids resync FETCH UID %d MODSEQ %d not above %d", it.uid, it.modseq, h0)
			}
		}
		if slices.Sort(got); !slices.Equal(got, []uint32{2, 5}) {
			t.Errorf("known-uids resync FETCHed UIDs %v, want [2 5]", got)
		}
		delete(m.flags, 8) // not in known-uids: not reported, not compared
		want := maps.Clone(now)
		delete(want, 8)
		if !maps.Equal(m.flags, want) {
			t.Errorf("known-uids resync rebuilt %s, want %s", fmtFlags(m.flags), fmtFlags(want))
		}

		// seq-match data, right and wrong (§3.2.5.2): the answer must
		// still let the client rebuild the mailbox exactly.
		for _, sm := range []string{"(1:8 1:8)", "(1:4 1,3,5,6)", "(2,9 7,200)"} {
			cmd := "EXAMINE INBOX (QRESYNC (" + uv + " " + since(h0) + " 1:8 " + sm + "))"
			r = a.cmd(cmd)
			m := boxModel{flags: maps.Clone(base.flags)}
			van, _ := m.apply(t, r.untagged)
			checkVanished(t, s, cmd, van, []uint32{3, 4, 7}, now)
			if !maps.Equal(m.flags, now) {
				t.Errorf("%s rebuilt %s, want %s", cmd, fmtFlags(m.flags), fmtFlags(now))
			}
		}
		// Without known-uids, and by UID FETCH (§3.2.6).
		r = a.cmd("SELECT INBOX (QRESYNC (" + uv + " " + since(h0) + "))")
		m = boxModel{flags: maps.Clone(base.flags)}
		van, _ = m.apply(t, r.untagged)
		checkVanished(t, s, "QRESYNC", van, []uint32{3, 4, 7}, now)
		if !maps.Equal(m.flags, now) {
			t.Errorf("QRESYNC rebuilt %s, want %s", fmtFlags(m.flags), fmtFlags(now))
		}
		r = a.cmd("UID FETCH 1:* (FLAGS) (CHANGEDSINCE " + since(h0) + " VANISHED)")
		m = boxModel{flags: maps.Clone(base.flags)}
		van, _ = m.apply(t, r.untagged)
		checkVanished(t, s, "UID FETCH VANISHED", van, []uint32{3, 4, 7}, now)
		if !maps.Equal(m.flags, now) {
			t.Errorf("UID FETCH VANISHED rebuilt %s, want %s", fmtFlags(m.flags), fmtFlags(now))
		}
		r = a.cmd("UID FETCH 4:6 (FLAGS) (CHANGEDSINCE " + since(h0) + " VANISHED)")
		m = boxModel{flags: map[uint32]string{}}
		van, _ = m.apply(t, r.untagged)
		checkVanished(t, s, "UID FETCH 4:6 VANISHED", van, []uint32{4}, now)
		if !maps.Equal(m.flags, map[uint32]string{5: now[5]}) {
			t.Errorf("UID FETCH 4:6 VANISHED fetched %s, want only UID 5", fmtFlags(m.flags))
		}
		a.cmd("LOGOUT")
	})
}

// TestResyncConcurrent: another session changes the mailbox while one
// resynchronises; the resyncing client must end up with the mailbox as
// it is, whichever order the server chose.
func TestResyncConcurrent(t *testing.T) {
	forEachTarget(t, func(t *testing.T, s *server) {
		b := dialConn(t, s, "B")
		b.login(s)
		for i := 1; i <= 6; i++ {
			b.appendMsg("INBOX", "", simpleMsg("conc "+strconv.Itoa(i), "x"))
		}
		b.cmd("SELECT INBOX")
		base, uv, h0 := mailboxFlags(t, s, "INBOX")
		// Offline changes.
		b.cmd(`UID STORE 1 +FLAGS.SILENT (\Seen)`)
		b.cmd(`UID STORE 6 +FLAGS.SILENT (\Deleted)`)
		b.cmd("EXPUNGE")

		a := dialConn(t, s, "A")
		a.login(s)
		a.cmd("ENABLE QRESYNC")
		m := boxModel{flags: maps.Clone(base), highest: h0}
		for round := range 3 {
			// A's SELECT and B's STORE race; then A's NOOP and B's
			// further changes race; then A catches up with NOOP.
			tag := a.nextTag()
			a.send(tag + " SELECT INBOX (QRESYNC (" + uv + " " + strconv.FormatUint(m.highest, 10) + "))")
			b.cmd(fmt.Sprintf(`UID STORE 2:3 FLAGS.SILENT ($R%d)`, round))
			sel := a.readResult(tag)
			if sel.status != "OK" {
				t.Fatalf("SELECT QRESYNC: %s %s", sel.status, sel.text)
			}
			m.apply(t, sel.untagged)
			tag = a.nextTag()
			a.send(tag + " NOOP")
			b.cmd(fmt.Sprintf(`UID STORE 4 +FLAGS.SILENT ($N%d)`, round))
			b.cmd(fmt.Sprintf(`UID STORE %d +FLAGS.SILENT (\Deleted)`, 5-round))
			b.cmd("UID EXPUNGE " + strconv.Itoa(5-round))
			m.apply(t, a.readResult(tag).untagged)
			// After B's commands completed, a NOOP must deliver the rest.
			m.apply(t, a.cmd("NOOP").untagged)
			if m.expunge {
				t.Errorf("round %d: EXPUNGE response under QRESYNC", round)
			}
			now, _, _ := mailboxFlags(t, s, "INBOX")
			if !maps.Equal(m.flags, now) {
				t.Errorf("round %d: A's copy %s, the mailbox %s", round, fmtFlags(m.flags), fmtFlags(now))
			}
			a.cmd("UNSELECT")
		}
	})
}

// qresyncFrom resynchronises INBOX from a snapshot (its UID → flags,
// UIDVALIDITY and HIGHESTMODSEQ) with SELECT (QRESYNC) and requires the
// result to be the mailbox as it is now.
func qresyncFrom(t *testing.T, s *server, what string, snap map[uint32]string, uv string, highest uint64) {
	t.Helper()
	now, nowUV, _ := mailboxFlags(t, s, "INBOX")
	if nowUV != uv {
		t.Fatalf("%s: UIDVALIDITY changed from %s to %s", what, uv, nowUV)
	}
	c := dialConn(t, s, "Q")
	c.login(s)
	c.cmd("ENABLE QRESYNC")
	r := c.cmd("SELECT INBOX (QRESYNC (" + uv + " " + strconv.FormatUint(highest, 10) + "))")
	m := boxModel{flags: maps.Clone(snap)}
	van, _ := m.apply(t, r.untagged)
	var gone []uint32
	for u := range snap {
		if _, ok := now[u]; !ok {
			gone = append(gone, u)
		}
	}
	// Messages that arrived after the snapshot: the client fetches
	// UIDs above its last known one; here, all not in the snapshot.
	for u, f := range now {
		if _, ok := m.flags[u]; !ok {
			if _, known := snap[u]; !known {
				m.flags[u] = f
			}
		}
	}
	if s.Kind == kindPetrel {
		// Petrel also reports UIDs assigned and expunged after the
		// snapshot; drop those from the exactness check.
		var inSnap []uint32
		for _, u := range van {
			if _, ok := snap[u]; ok {
				inSnap = append(inSnap, u)
			}
		}
		van = inSnap
	}
	checkVanished(t, s, what, van, gone, now)
	if !maps.Equal(m.flags, now) {
		t.Errorf("%s: QRESYNC rebuilt %s, the mailbox is %s", what, fmtFlags(m.flags), fmtFlags(now))
	}
	c.cmd("LOGOUT")
}

// syncScenario drives a two-way sync program through initial and
// incremental syncs. sync runs the program once; inbox is the local
// maildir of INBOX. Server-side changes use go-imap; after each sync both
// sides are compared, and a QRESYNC from the state before the client's
// changes must rebuild the mailbox the client left.
func syncScenario(t *testing.T, s *server, inbox string, sync func(step string)) {
	c := s.client(t, nil)
	for i := 1; i <= 5; i++ {
		var flags []imap.Flag
		if i == 1 {
			flags = []imap.Flag{imap.FlagSeen}
		}
		appendMsg(t, c, "INBOX", simpleMsg("inc "+strconv.Itoa(i), strconv.Itoa(i)), flags, time.Time{})
	}

	sync("initial")
	wantMaildir(t, "after the initial sync", readMaildir(t, inbox), map[string]string{
		"inc 1": "S", "inc 2": "", "inc 3": "", "inc 4": "", "inc 5": "",
	})

	// Server-side changes.
	selectBox(t, c, "INBOX")
	seq := map[string]uint32{}
	for _, m := range fetchAll(t, c, imap.SeqSetNum(1, 2, 3, 4, 5), &imap.FetchOptions{Envelope: true}) {
		seq[m.Envelope.Subject] = m.SeqNum
	}
	store := func(subj string, op imap.StoreFlagsOp, flags ...imap.Flag) {
		t.Helper()
		if err := c.Store(imap.SeqSetNum(seq[subj]), &imap.StoreFlags{Op: op, Silent: true, Flags: flags}, nil).Close(); err != nil {
			t.Fatalf("STORE %s: %v", subj, err)
		}
	}
	store("inc 1", imap.StoreFlagsDel, imap.FlagSeen)
	store("inc 2", imap.StoreFlagsAdd, imap.FlagFlagged)
	store("inc 3", imap.StoreFlagsAdd, imap.FlagAnswered, imap.FlagSeen)
	store("inc 4", imap.StoreFlagsAdd, imap.FlagDeleted)
	if err := c.Expunge().Close(); err != nil {
		t.Fatalf("EXPUNGE: %v", err)
	}
	appendMsg(t, c, "INBOX", simpleMsg("inc 6", "6"), []imap.Flag{imap.FlagSeen}, time.Time{})
	appendMsg(t, c, "INBOX", simpleMsg("inc 7", "7"), nil, time.Time{})
	if err := c.Unselect().Wait(); err != nil {
		t.Fatalf("UNSELECT: %v", err)
	}

	sync("server changes")
	local := readMaildir(t, inbox)
	wantMaildir(t, "after pulling server changes", local, map[string]string{
		"inc 1": "", "inc 2": "F", "inc 3": "RS", "inc 5": "", "inc 6": "S", "inc 7": "",
	})
	snap, uv, highest := mailboxFlags(t, s, "INBOX")

	// Client-side changes: flags set and cleared, a deletion, a new
	// message.
	local["inc 5"].setFlags(t, "FS")
	local["inc 6"].setFlags(t, "")
	if err := os.Remove(local["inc 2"].path); err != nil {
		t.Fatal(err)
	}
	newFile := filepath.Join(inbox, "new", fmt.Sprintf("%d.resync1.petrel-test", time.Now().Unix()))
	if err := os.WriteFile(newFile, []byte(simpleMsg("local 8", "8")), 0o600); err != nil {
		t.Fatal(err)
	}
	sync("client changes")
	wantServer(t, "after pushing client changes", serverMailbox(t, c, "INBOX"), map[string][]imap.Flag{
		"inc 1":   nil,
		"inc 3":   {imap.FlagAnswered, imap.FlagSeen},
		"inc 5":   {imap.FlagFlagged, imap.FlagSeen},
		"inc 6":   nil,
		"inc 7":   nil,
		"local 8": nil,
	})
	qresyncFrom(t, s, "resync over the client's changes", snap, uv, highest)

	// Both sides change different messages.
	selectBox(t, c, "INBOX")
	seq = map[string]uint32{}
	for _, m := range fetchAll(t, c, imap.SeqSetNum(1, 2, 3, 4, 5, 6), &imap.FetchOptions{Envelope: true}) {
		seq[m.Envelope.Subject] = m.SeqNum
	}
	store("inc 7", imap.StoreFlagsAdd, imap.FlagFlagged)
	if err := c.Unselect().Wait(); err != nil {
		t.Fatalf("UNSELECT: %v", err)
	}
	local = readMaildir(t, inbox)
	local["inc 1"].setFlags(t, "S")
	sync("both sides")
	wantMaildir(t, "after a two-sided sync", readMaildir(t, inbox), map[string]string{
		"inc 1": "S", "inc 3": "RS", "inc 5": "FS", "inc 6": "", "inc 7": "F", "local 8": "",
	})
	wantServer(t, "after a two-sided sync", serverMailbox(t, c, "INBOX"), map[string][]imap.Flag{
		"inc 1":   {imap.FlagSeen},
		"inc 3":   {imap.FlagAnswered, imap.FlagSeen},
		"inc 5":   {imap.FlagFlagged, imap.FlagSeen},
		"inc 6":   nil,
		"inc 7":   {imap.FlagFlagged},
		"local 8": nil,
	})

	// A sync with nothing to do changes nothing, not even HIGHESTMODSEQ.
	before, _, h1 := mailboxFlags(t, s, "INBOX")
	sync("no-op")
	after, _, h2 := mailboxFlags(t, s, "INBOX")
	if h2 != h1 || !maps.Equal(before, after) {
		t.Errorf("a no-op sync changed the mailbox: %s (HIGHESTMODSEQ %d) → %s (%d)", fmtFlags(before), h1, fmtFlags(after), h2)
	}
}

// TestResyncMbsync: mbsync (isync) incremental syncs; see syncScenario.
func TestResyncMbsync(t *testing.T) {
	mbsync := lookPath(t, "mbsync")
	forEachTarget(t, func(t *testing.T, s *server) {
		dir := t.TempDir()
		near := filepath.Join(dir, "mail")
		if err := os.Mkdir(near, 0o700); err != nil {
			t.Fatal(err)
		}
		rc := filepath.Join(dir, "mbsyncrc")
		if err := os.WriteFile(rc, []byte(mbsyncConfig(t, mbsync, s, near)), 0o600); err != nil {
			t.Fatal(err)
		}
		usedCondstore := false
		syncScenario(t, s, filepath.Join(near, "INBOX"), func(step string) {
			t.Helper()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			// -Dn traces the IMAP conversation, to see what mbsync used.
			out, err := exec.CommandContext(ctx, mbsync, "-Dn", "-c", rc, "-a").CombinedOutput()
			if err != nil {
				t.Fatalf("mbsync (%s): %v\n%s", step, err, strings.ReplaceAll(string(out), s.Pass, "<password>"))
			}
			usedCondstore = usedCondstore || regexp.MustCompile(`(?i)CHANGEDSINCE|QRESYNC \(|\(CONDSTORE\)`).Match(out)
		})
		t.Logf("%s: mbsync used CONDSTORE/QRESYNC: %v", s.Kind, usedCondstore)
	})
}

// TestResyncOfflineimap: offlineimap3 incremental syncs; see
// syncScenario.
func TestResyncOfflineimap(t *testing.T) {
	offlineimap := lookPath(t, "offlineimap")
	forEachTarget(t, func(t *testing.T, s *server) {
		dir := t.TempDir()
		mail := filepath.Join(dir, "mail")
		host, port, _ := strings.Cut(s.Addr, ":")
		conf := fmt.Sprintf(`[general]
accounts = test
metadata = %s/meta
ui = basic

[Account test]
localrepository = local
remoterepository = remote

[Repository local]
type = Maildir
localfolders = %s

[Repository remote]
type = IMAP
remotehost = %s
remoteport = %s
remoteuser = %s
remotepass = %s
ssl = no
starttls = no
auth_mechanisms = LOGIN
maxconnections = 1
folderfilter = lambda f: f == 'INBOX'
`, dir, mail, host, port, s.User, strings.ReplaceAll(s.Pass, "%", "%%"))
		rc := filepath.Join(dir, "offlineimaprc")
		if err := os.WriteFile(rc, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		syncScenario(t, s, filepath.Join(mail, "INBOX"), func(step string) {
			t.Helper()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, offlineimap, "-c", rc, "-o", "-u", "basic")
			cmd.Env = append(os.Environ(), "HOME="+dir)
			out, err := cmd.CombinedOutput()
			t.Logf("offlineimap (%s):\n%s", step, out)
			if err != nil {
				t.Fatalf("offlineimap (%s): %v", step, err)
			}
			// offlineimap exits 0 even when a folder failed.
			if regexp.MustCompile(`(?i)\bERROR\b|Traceback`).Match(out) {
				t.Fatalf("offlineimap (%s) reported an error", step)
			}
		})
	})
}

// TestResyncGoIMAPChangedSince: go-imap's FETCH with CHANGEDSINCE
// (RFC 7162 §3.1.4.1) returns exactly the messages changed since.
func TestResyncGoIMAPChangedSince(t *testing.T) {
	forEachTarget(t, func(t *testing.T, s *server) {
		c := s.client(t, nil)
		for i := 1; i <= 6; i++ {
			appendMsg(t, c, "INBOX", simpleMsg("cs "+strconv.Itoa(i), "x"), nil, time.Time{})
		}
		sel, err := c.Select("INBOX", &imap.SelectOptions{CondStore: true}).Wait()
		if err != nil {
			t.Fatalf("SELECT (CONDSTORE): %v", err)
		}
		h0 := sel.HighestModSeq
		if h0 == 0 {
			t.Fatal("SELECT (CONDSTORE) gave no HIGHESTMODSEQ")
		}
		all := imap.UIDSet{}
		all.AddRange(1, 0)
		opts := func(since uint64) *imap.FetchOptions {
			return &imap.FetchOptions{Flags: true, UID: true, ModSeq: true, ChangedSince: since}
		}
		if msgs := fetchAll(t, c, all, opts(h0)); len(msgs) != 0 {
			t.Errorf("CHANGEDSINCE HIGHESTMODSEQ returned %d messages", len(msgs))
		}

		// Another client changes 2 and 4 and expunges 6.
		o := s.client(t, nil)
		selectBox(t, o, "INBOX")
		for _, st := range []struct {
			uid   imap.UID
			flags []imap.Flag
		}{{2, []imap.Flag{imap.FlagSeen}}, {4, []imap.Flag{"$Label1"}}, {6, []imap.Flag{imap.FlagDeleted}}} {
			if err := o.Store(imap.UIDSetNum(st.uid), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: st.flags}, nil).Close(); err != nil {
				t.Fatalf("STORE: %v", err)
			}
		}
		if err := o.Expunge().Close(); err != nil {
			t.Fatalf("EXPUNGE: %v", err)
		}
		if err := c.Noop().Wait(); err != nil {
			t.Fatalf("NOOP: %v", err)
		}
		msgs := fetchAll(t, c, all, opts(h0))
		var got []imap.UID
		var h1 uint64
		for _, m := range msgs {
			got = append(got, m.UID)
			if m.ModSeq <= h0 {
				t.Errorf("UID %d MODSEQ %d not above %d", m.UID, m.ModSeq, h0)
			}
			h1 = max(h1, m.ModSeq)
		}
		slices.Sort(got)
		if !slices.Equal(got, []imap.UID{2, 4}) {
			t.Errorf("CHANGEDSINCE %d returned UIDs %v, want [2 4]", h0, got)
		}
		// By sequence number too, and from the newest MODSEQ: nothing.
		if msgs := fetchAll(t, c, imap.SeqSetNum(1, 2, 3, 4, 5), opts(h0)); len(msgs) != 2 {
			t.Errorf("FETCH 1:5 CHANGEDSINCE returned %d messages, want 2", len(msgs))
		}
		if msgs := fetchAll(t, c, all, opts(h1)); len(msgs) != 0 {
			t.Errorf("CHANGEDSINCE %d (the newest MODSEQ) returned %d messages", h1, len(msgs))
		}
		st, err := c.Status("INBOX", &imap.StatusOptions{HighestModSeq: true}).Wait()
		if err != nil {
			t.Fatalf("STATUS: %v", err)
		}
		if st.HighestModSeq < h1 {
			t.Errorf("STATUS HIGHESTMODSEQ %d below a message's MODSEQ %d", st.HighestModSeq, h1)
		}
		// A conditional STORE against the old HIGHESTMODSEQ fails for 2
		// and succeeds for 3 (RFC 7162 §3.1.3).
		if err := c.Store(imap.UIDSetNum(2, 3), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagFlagged}},
			&imap.StoreOptions{UnchangedSince: h0}).Close(); err != nil {
			t.Fatalf("STORE UNCHANGEDSINCE: %v", err)
		}
		flags := map[imap.UID][]imap.Flag{}
		for _, m := range fetchAll(t, c, imap.UIDSetNum(2, 3), &imap.FetchOptions{Flags: true, UID: true}) {
			flags[m.UID] = m.Flags
		}
		if hasFlag(flags[2], imap.FlagFlagged) || !hasFlag(flags[3], imap.FlagFlagged) {
			t.Errorf("after STORE (UNCHANGEDSINCE %d) UID 2 has %v (want no \\Flagged), UID 3 has %v", h0, flags[2], flags[3])
		}
	})
}

// TestResyncExpungeHighestModSeq: with QRESYNC enabled, EXPUNGE and UID
// EXPUNGE that remove messages end in OK [HIGHESTMODSEQ n] with the new
// value (RFC 7162 §3.2.7, §3.2.9: MUST); CLOSE must not send it (§3.2.8).
func TestResyncExpungeHighestModSeq(t *testing.T) {
	forEachTarget(t, func(t *testing.T, s *server) {
		a := dialConn(t, s, "A")
		a.login(s)
		for i := 1; i <= 6; i++ {
			a.appendMsg("INBOX", "", simpleMsg("hx "+strconv.Itoa(i), "x"))
		}
		a.cmd("ENABLE QRESYNC")
		a.cmd("SELECT INBOX")
		a.cmd(`UID STORE 1:4 +FLAGS.SILENT (\Deleted)`)
		wantCode := func(what string, r result) {
			t.Helper()
			m := regexp.MustCompile(`^\[HIGHESTMODSEQ (\d+)\]`).FindStringSubmatch(r.text)
			st := a.cmd("STATUS INBOX (HIGHESTMODSEQ)")
			if m == nil {
				t.Errorf("%s under QRESYNC: tagged OK %q lacks [HIGHESTMODSEQ] (RFC 7162 §3.2.7, §3.2.9)", what, r.text)
				return
			}
			if !st.has(`\* STATUS INBOX \(HIGHESTMODSEQ ` + m[1] + `\)`) {
				t.Errorf("%s: [HIGHESTMODSEQ %s], STATUS says %q", what, m[1], st.untagged)
			}
		}
		r := a.cmd("UID EXPUNGE 1")
		if !r.has(`\* VANISHED 1`) {
			t.Errorf("UID EXPUNGE 1 answered %q", r.untagged)
		}
		wantCode("UID EXPUNGE", r)
		r = a.cmd("EXPUNGE")
		if !r.has(`\* VANISHED 2:4`) {
			t.Errorf("EXPUNGE answered %q", r.untagged)
		}
		wantCode("EXPUNGE", r)
		a.cmd(`UID STORE 5 +FLAGS.SILENT (\Deleted)`)
		r = a.cmd("CLOSE")
		if strings.Contains(r.text, "HIGHESTMODSEQ") || len(r.untagged) != 0 {
			t.Errorf("CLOSE answered %q %q; RFC 7162 §3.2.8 forbids HIGHESTMODSEQ and VANISHED", r.untagged, r.text)
		}
	})
}

// TestResyncFetchCarriesUID: once CONDSTORE is enabled, a QRESYNC server
// "MUST automatically include both UID and mod-sequence data in all
// subsequent untagged FETCH responses", whether caused by STORE, STORE
// with UNCHANGEDSINCE, a FETCH that set \Seen, or another session
// (RFC 7162 §3.2.4, Errata 1807). Dovecot applies this once QRESYNC is
// enabled (not after CONDSTORE alone), so that is what is tested. The
// data may come in more than one FETCH response for the message (Dovecot
// sends "* 3 FETCH (UID 3 MODSEQ (8))" after the body).
func TestResyncFetchCarriesUID(t *testing.T) {
	forEachTarget(t, func(t *testing.T, s *server) {
		a := dialConn(t, s, "A")
		a.login(s)
		for i := 1; i <= 4; i++ {
			a.appendMsg("INBOX", "", simpleMsg("uid "+strconv.Itoa(i), "x"))
		}
		a.cmd("ENABLE QRESYNC")
		a.cmd("SELECT INBOX")
		b := dialConn(t, s, "B")
		b.login(s)
		b.cmd("SELECT INBOX")
		check := func(what string, r result, seq uint32) {
			t.Helper()
			var uid uint32
			var modseq uint64
			n := 0
			for _, l := range r.untagged {
				if m := rsFetch.FindStringSubmatch(l); m != nil {
					if m[1] != strconv.Itoa(int(seq)) {
						t.Errorf("%s: unexpected %q", what, l)
						continue
					}
					n++
					it, _ := parseRsFetch(l)
					uid, modseq = max(uid, it.uid), max(modseq, it.modseq)
				}
			}
			if n == 0 || uid != seq || modseq == 0 {
				t.Errorf("%s: FETCH responses %q lack UID %d or MODSEQ (RFC 7162 §3.2.4)", what, r.untagged, seq)
			}
		}
		check("STORE", a.cmd(`STORE 1 +FLAGS (\Answered)`), 1)
		check("STORE (UNCHANGEDSINCE) .SILENT", a.cmd(`STORE 2 (UNCHANGEDSINCE 1000000) +FLAGS.SILENT (\Answered)`), 2)
		check("FETCH BODY[TEXT]", a.cmd(`FETCH 3 (BODY[TEXT])`), 3)
		b.cmd(`STORE 4 +FLAGS.SILENT (\Flagged)`)
		check("NOOP after another session's STORE", a.cmd("NOOP"), 4)
	})
}

// TestResyncKnownUIDsSyntax: "*" is not allowed in known-uids nor in
// seq-match data (RFC 7162 §7), and a QRESYNC parameter that is not
// syntactically valid gets a tagged BAD (§3.2.5).
func TestResyncKnownUIDsSyntax(t *testing.T) {
	forEachTarget(t, func(t *testing.T, s *server) {
		a := dialConn(t, s, "A")
		a.login(s)
		a.appendMsg("INBOX", "", simpleMsg("star", "x"))
		a.cmd("ENABLE QRESYNC")
		_, uv, h := mailboxFlags(t, s, "INBOX")
		for _, p := range []string{"1:*", "1 (1:* 1:*)", "1 (1 *)"} {
			cmd := "EXAMINE INBOX (QRESYNC (" + uv + " " + strconv.FormatUint(h, 10) + " " + p + "))"
			if r := a.run(cmd); r.status != "BAD" {
				t.Errorf("%s: %s %s, want BAD", cmd, r.status, r.text)
			}
		}
	})
}
