package imapserver

// A property test of QRESYNC and CONDSTORE (RFC 7162): random sequences of
// APPEND, STORE, EXPUNGE, UID EXPUNGE, COPY and MOVE from three sessions,
// with a snapshot of the mailbox (UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ and every
// UID's flags) every few operations. At the end, a resync from every
// snapshot, by each of the RFC's means, must rebuild the mailbox's
// current UIDs and flags exactly.

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"petrel.dev/petrel/internal/imap"
)

// flagMap is a mailbox's UID → flags (normalised by normFlags).
type flagMap map[uint32]string

// normFlags sorts a FETCH FLAGS list and drops \Recent, which is session
// state (RFC 3501 §2.3.2), not mailbox state.
func normFlags(list string) string {
	var out []string
	for f := range strings.FieldsSeq(list) {
		if !strings.EqualFold(f, imap.FlagRecent) {
			out = append(out, f)
		}
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}

var (
	reFetchLine = regexp.MustCompile(`^\* (\d+) FETCH \((.*)\)$`)
	reFetchUID  = regexp.MustCompile(`(?:^| )UID (\d+)`)
	reFetchFlg  = regexp.MustCompile(`(?:^| )FLAGS \(([^)]*)\)`)
	reFetchMod  = regexp.MustCompile(`(?:^| )MODSEQ \((\d+)\)`)
	reVanished  = regexp.MustCompile(`^\* VANISHED (\(EARLIER\) )?([0-9:,]+)$`)
	reUIDVal    = regexp.MustCompile(`^\* OK \[UIDVALIDITY (\d+)\]`)
	reUIDNext   = regexp.MustCompile(`^\* OK \[UIDNEXT (\d+)\]`)
	reHighest   = regexp.MustCompile(`^\* OK \[HIGHESTMODSEQ (\d+)\]`)
)

// fetchItem is one parsed untagged FETCH response.
type fetchItem struct {
	seq, uid uint32
	flags    string
	hasFlags bool
	modseq   uint64
}

// parseFetch parses "* n FETCH (...)" with UID, FLAGS and MODSEQ items.
func parseFetch(line string) (fetchItem, bool) {
	m := reFetchLine.FindStringSubmatch(line)
	if m == nil {
		return fetchItem{}, false
	}
	var it fetchItem
	seq, _ := strconv.ParseUint(m[1], 10, 32)
	it.seq = uint32(seq)
	if u := reFetchUID.FindStringSubmatch(m[2]); u != nil {
		n, _ := strconv.ParseUint(u[1], 10, 32)
		it.uid = uint32(n)
	}
	if f := reFetchFlg.FindStringSubmatch(m[2]); f != nil {
		it.flags, it.hasFlags = normFlags(f[1]), true
	}
	if ms := reFetchMod.FindStringSubmatch(m[2]); ms != nil {
		it.modseq, _ = strconv.ParseUint(ms[1], 10, 64)
	}
	return it, true
}

// expandUIDs lists the numbers of a sequence set without "*".
func expandUIDs(t testing.TB, s string) []uint32 {
	t.Helper()
	set, err := imap.ParseSeqSet(s)
	if err != nil {
		t.Fatalf("bad sequence set %q: %v", s, err)
	}
	var out []uint32
	for _, r := range set.Ranges {
		if r.Start == 0 || r.Stop == 0 {
			t.Fatalf("server sent * in %q", s)
		}
		lo, hi := min(r.Start, r.Stop), max(r.Start, r.Stop)
		if hi-lo > 1<<16 {
			t.Fatalf("implausibly large range in %q", s)
		}
		for u := lo; u <= hi; u++ {
			out = append(out, u)
		}
	}
	return out
}

// resyncAnswer is what a resync sent: VANISHED (EARLIER) UIDs and FETCHes.
type resyncAnswer struct {
	vanished []uint32
	fetched  []fetchItem
}

// parseResync collects the VANISHED (EARLIER) and FETCH lines of a
// response. Every FETCH must carry UID, FLAGS and MODSEQ (RFC 7162
// §3.2.5.1: "FETCH responses that MUST contain UIDs").
func parseResync(t testing.TB, lines []string) resyncAnswer {
	t.Helper()
	var a resyncAnswer
	for _, l := range lines {
		if m := reVanished.FindStringSubmatch(l); m != nil {
			if m[1] == "" {
				t.Fatalf("resync sent VANISHED without (EARLIER): %q", l)
			}
			a.vanished = append(a.vanished, expandUIDs(t, m[2])...)
			continue
		}
		if it, ok := parseFetch(l); ok {
			if it.uid == 0 || !it.hasFlags || it.modseq == 0 {
				t.Fatalf("resync FETCH lacks UID, FLAGS or MODSEQ: %q", l)
			}
			a.fetched = append(a.fetched, it)
		}
	}
	return a
}

// apply returns base with the answer applied, as a client would.
func (a resyncAnswer) apply(base flagMap) flagMap {
	out := maps.Clone(base)
	for _, u := range a.vanished {
		delete(out, u)
	}
	for _, it := range a.fetched {
		out[it.uid] = it.flags
	}
	return out
}

// mailboxState is one snapshot of a mailbox.
type mailboxState struct {
	uidValidity, uidNext uint32
	highest              uint64
	flags                flagMap
	modseqs              map[uint32]uint64 // only in the final state
}

func (st mailboxState) uids() []uint32 { return slices.Sorted(maps.Keys(st.flags)) }

// examineState re-EXAMINEs mailbox with CONDSTORE and reads its state.
// No other session may change the mailbox meanwhile.
func examineState(t testing.TB, c *tconn, tag, mailbox string) mailboxState {
	t.Helper()
	var st mailboxState
	for _, l := range c.mustOK(tag+"x", "EXAMINE "+mailbox+" (CONDSTORE)") {
		if m := reUIDVal.FindStringSubmatch(l); m != nil {
			n, _ := strconv.ParseUint(m[1], 10, 32)
			st.uidValidity = uint32(n)
		}
		if m := reUIDNext.FindStringSubmatch(l); m != nil {
			n, _ := strconv.ParseUint(m[1], 10, 32)
			st.uidNext = uint32(n)
		}
		if m := reHighest.FindStringSubmatch(l); m != nil {
			st.highest, _ = strconv.ParseUint(m[1], 10, 64)
		}
	}
	if st.uidValidity == 0 || st.uidNext == 0 || st.highest == 0 {
		t.Fatalf("EXAMINE %s lacks UIDVALIDITY, UIDNEXT or HIGHESTMODSEQ", mailbox)
	}
	// RFC 7162 §3.1.7: STATUS agrees with SELECT/EXAMINE.
	want := "* STATUS " + mailbox + " (UIDNEXT " + strconv.Itoa(int(st.uidNext)) + " HIGHESTMODSEQ " + u64(st.highest) + ")"
	if got := c.mustOK(tag+"s", "STATUS "+mailbox+" (UIDNEXT HIGHESTMODSEQ)"); len(got) != 1 || got[0] != want {
		t.Fatalf("STATUS answered %q, want %q", got, want)
	}
	st.flags, st.modseqs = flagMap{}, map[uint32]uint64{}
	for _, l := range c.mustOK(tag+"f", "UID FETCH 1:* (FLAGS MODSEQ)") {
		it, ok := parseFetch(l)
		if !ok {
			continue
		}
		if it.uid == 0 || !it.hasFlags || it.modseq == 0 {
			t.Fatalf("bad FETCH %q", l)
		}
		if it.modseq > st.highest {
			t.Fatalf("UID %d has MODSEQ %d above HIGHESTMODSEQ %d", it.uid, it.modseq, st.highest)
		}
		st.flags[it.uid], st.modseqs[it.uid] = it.flags, it.modseq
	}
	return st
}

// diffMaps describes how got differs from want, or returns "".
func diffMaps(got, want flagMap) string {
	var b strings.Builder
	for _, u := range slices.Sorted(maps.Keys(want)) {
		g, ok := got[u]
		switch {
		case !ok:
			fmt.Fprintf(&b, " UID %d missing (want %q);", u, want[u])
		case g != want[u]:
			fmt.Fprintf(&b, " UID %d has %q, want %q;", u, g, want[u])
		}
	}
	for _, u := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[u]; !ok {
			fmt.Fprintf(&b, " UID %d should be gone (has %q);", u, got[u])
		}
	}
	return b.String()
}

// restrict returns the entries of m whose UID is in uids.
func restrict(m flagMap, uids []uint32) flagMap {
	out := flagMap{}
	for _, u := range uids {
		if f, ok := m[u]; ok {
			out[u] = f
		}
	}
	return out
}

// wantVanished is the exact VANISHED (EARLIER) answer for a resync from
// snap to final: the UIDs known at snap or assigned since that are gone
// now. Petrel keeps every expunged UID, so it must send exactly these —
// no fewer (RFC 7162 §3.2.5.1), and no UID expunged before the snapshot.
func wantVanished(snap, final mailboxState) []uint32 {
	var out []uint32
	for u := uint32(1); u < final.uidNext; u++ {
		_, was := snap.flags[u]
		_, is := final.flags[u]
		if !is && (was || u >= snap.uidNext) {
			out = append(out, u)
		}
	}
	return out
}

func onlyIn(uids, set []uint32) []uint32 {
	var out []uint32
	for _, u := range uids {
		if slices.Contains(set, u) {
			out = append(out, u)
		}
	}
	return out
}

func uidList(uids []uint32) string {
	if len(uids) == 0 {
		return ""
	}
	return imap.SeqSetFromNums(uids).String()
}

// checkResync compares one resync answer with the final state: applied
// to the snapshot (restricted to known, nil meaning all UIDs) it must
// give the final state; VANISHED must be exactly the expected set; and
// every FETCH must be a message changed after the snapshot.
func checkResync(t *testing.T, what string, snap, final mailboxState, known []uint32, a resyncAnswer) {
	t.Helper()
	base, want := snap.flags, final.flags
	vanished := wantVanished(snap, final)
	if known != nil {
		base, want = restrict(base, known), restrict(want, known)
		vanished = onlyIn(vanished, known)
		for _, u := range a.vanished {
			if !slices.Contains(known, u) {
				t.Errorf("%s: VANISHED names UID %d outside known-uids", what, u)
			}
		}
		for _, it := range a.fetched {
			if !slices.Contains(known, it.uid) {
				t.Errorf("%s: FETCH for UID %d outside known-uids", what, it.uid)
			}
		}
	}
	if got := slices.Sorted(slices.Values(a.vanished)); !slices.Equal(got, vanished) {
		t.Errorf("%s: VANISHED (EARLIER) %q, want %q", what, uidList(got), uidList(vanished))
	}
	for _, it := range a.fetched {
		if it.modseq <= snap.highest {
			t.Errorf("%s: FETCH UID %d MODSEQ %d is not above the snapshot's %d", what, it.uid, it.modseq, snap.highest)
		}
		if ms, ok := final.modseqs[it.uid]; !ok || ms != it.modseq {
			t.Errorf("%s: FETCH UID %d MODSEQ %d, the mailbox has %d", what, it.uid, it.modseq, ms)
		}
	}
	// Every message changed after the snapshot must be reported.
	for u, ms := range final.modseqs {
		if ms <= snap.highest || (known != nil && !slices.Contains(known, u)) {
			continue
		}
		if !slices.ContainsFunc(a.fetched, func(it fetchItem) bool { return it.uid == u }) {
			t.Errorf("%s: UID %d (MODSEQ %d > %d) not reported", what, u, ms, snap.highest)
		}
	}
	if d := diffMaps(a.apply(base), want); d != "" {
		t.Errorf("%s: resync from HIGHESTMODSEQ %d rebuilds a different mailbox:%s", what, snap.highest, d)
	}
}

var propFlags = []string{`\Seen`, `\Flagged`, `\Answered`, `\Deleted`, `\Draft`, "$Junk", "Work"}

func randomFlags(r *rand.Rand) string {
	var fs []string
	for _, f := range propFlags {
		if r.IntN(4) == 0 {
			fs = append(fs, f)
		}
	}
	return "(" + strings.Join(fs, " ") + ")"
}

// randomUIDs is a UID set of one to three UIDs or a small range around
// the UIDs in use, sometimes naming UIDs that do not exist.
func randomUIDs(r *rand.Rand, top uint32) string {
	top = max(top, 1) + 2
	var uids []uint32
	for range 1 + r.IntN(3) {
		uids = append(uids, 1+uint32(r.IntN(int(top))))
	}
	if r.IntN(4) == 0 {
		lo := 1 + uint32(r.IntN(int(top)))
		return strconv.Itoa(int(lo)) + ":" + strconv.Itoa(int(lo)+r.IntN(4))
	}
	return imap.SeqSetFromNums(uids).String()
}

// liveCopy is a QRESYNC client's copy of its selected mailbox, kept from
// untagged responses: VANISHED removes, FETCH (UID, FLAGS) sets, and
// EXISTS makes it fetch the flags of the UIDs above the highest it knows.
type liveCopy struct {
	c      *tconn
	flags  flagMap
	maxUID uint32
}

func (l *liveCopy) apply(tag string, lines []string) {
	t := l.c.t
	t.Helper()
	for range 10 {
		grew := false
		for _, line := range lines {
			if m := reVanished.FindStringSubmatch(line); m != nil {
				for _, u := range expandUIDs(t, m[2]) {
					delete(l.flags, u)
				}
				continue
			}
			if strings.HasSuffix(line, " EXPUNGE") {
				t.Fatalf("EXPUNGE response under QRESYNC: %q", line)
			}
			if strings.HasSuffix(line, " EXISTS") {
				grew = true
				continue
			}
			if it, ok := parseFetch(line); ok && it.hasFlags {
				if it.uid == 0 {
					t.Fatalf("FETCH without UID under QRESYNC: %q", line)
				}
				l.flags[it.uid] = it.flags
			}
		}
		if !grew {
			return
		}
		// Only UIDs above maxUID are new ("n:*" names the last message
		// even when n is above it, RFC 9051 §6.4.8).
		lines = l.c.mustOK(tag+"g", "UID FETCH "+strconv.Itoa(int(l.maxUID)+1)+":* (FLAGS)")
		for _, line := range lines {
			if it, ok := parseFetch(line); ok && it.uid > l.maxUID {
				l.flags[it.uid] = it.flags
				l.maxUID = it.uid
			}
		}
	}
	t.Fatal("EXISTS kept coming")
}

// TestResyncProperty runs the random histories; see the file comment.
// Setting up a server and logging in cost more than a history (password
// hashing under -race), so two workers share one server, each with its
// own sessions, and run their seeds one after another, each seed in its
// own pair of mailboxes.
func TestResyncProperty(t *testing.T) {
	const seeds, ops, every, workers = 20, 60, 3, 2
	ts := newTestServer(t)
	for w := range workers {
		t.Run("worker"+strconv.Itoa(w), func(t *testing.T) {
			t.Parallel()
			ps := &propSessions{
				obs: ts.login(t, testUser),
				a:   ts.login(t, testUser), // QRESYNC: expunges reach it as VANISHED
				b:   ts.login(t, testUser), // CONDSTORE
				c:   ts.login(t, testUser), // plain, on the other mailbox
				q:   ts.login(t, testUser), // resynchronises
			}
			ps.a.mustOK("e", "ENABLE QRESYNC")
			ps.q.mustOK("e", "ENABLE QRESYNC")
			for seed := uint64(w); seed < seeds; seed += workers {
				ok := t.Run("seed"+strconv.Itoa(int(seed)), func(t *testing.T) {
					ps.setT(t)
					runResyncHistory(t, ps, seed, ops, every)
				})
				ps.setT(t)
				if !ok {
					return // the sessions may be mid-response
				}
			}
		})
	}
}

// propSessions are one worker's connections.
type propSessions struct{ obs, a, b, c, q *tconn }

// setT points the connections' failures at t, the running (sub)test.
func (ps *propSessions) setT(t *testing.T) {
	for _, c := range []*tconn{ps.obs, ps.a, ps.b, ps.c, ps.q} {
		c.t = t
	}
}

func runResyncHistory(t *testing.T, ps *propSessions, seed uint64, ops, every int) {
	r := rand.New(rand.NewPCG(seed, 0x5e5))
	obs, a, b, c, q := ps.obs, ps.a, ps.b, ps.c, ps.q
	box, other := "P"+strconv.Itoa(int(seed)), "O"+strconv.Itoa(int(seed))
	obs.mustOK("c1", "CREATE "+box)
	obs.mustOK("c2", "CREATE "+other)
	for i := range 5 {
		obs.appendMsg("p"+strconv.Itoa(i), box, randomFlags(r), testMessage("init"+strconv.Itoa(i), "x"))
	}
	for i := range 3 {
		obs.appendMsg("q"+strconv.Itoa(i), other, randomFlags(r), testMessage("other"+strconv.Itoa(i), "x"))
	}
	// a keeps a client's copy of the mailbox up to date from its
	// untagged responses alone, as a QRESYNC client would (RFC 7162
	// §3.2.10: VANISHED; §3.2.4: FETCH with UID and MODSEQ).
	live := &liveCopy{c: a, flags: flagMap{}}
	live.apply("s", a.mustOK("s", "SELECT "+box))
	b.mustOK("s", "SELECT "+box+" (CONDSTORE)")
	c.mustOK("s", "SELECT "+other)
	inboxSessions := []*tconn{a, b}

	var snaps []mailboxState
	var history []string
	snaps = append(snaps, examineState(t, obs, "o0", box))
	top := snaps[0].uidNext
	for i := range ops {
		tag := "t" + strconv.Itoa(i)
		s := inboxSessions[r.IntN(2)]
		var cmd string
		switch k := r.IntN(20); {
		case k < 4:
			subj := fmt.Sprintf("s%d-%d", seed, i)
			// Not a: appendMsg drops the untagged responses.
			[]*tconn{b, c}[r.IntN(2)].appendMsg(tag, box, randomFlags(r), testMessage(subj, "body"))
			history = append(history, "APPEND "+subj)
			continue
		case k < 10:
			mode := []string{"+FLAGS", "-FLAGS", "FLAGS"}[r.IntN(3)]
			if r.IntN(2) == 0 && s != a { // a learns its changes from the FETCH responses
				mode += ".SILENT"
			}
			mod := ""
			if r.IntN(4) == 0 {
				// Sometimes fails, sometimes not (RFC 7162 §3.1.3).
				mod = " (UNCHANGEDSINCE " + u64(snaps[r.IntN(len(snaps))].highest) + ")"
			}
			cmd = "UID STORE " + randomUIDs(r, top) + mod + " " + mode + " " + randomFlags(r)
		case k < 12:
			cmd = "EXPUNGE"
		case k < 14:
			cmd = "UID EXPUNGE " + randomUIDs(r, top)
		case k < 16:
			cmd = "UID MOVE " + randomUIDs(r, top) + " " + other
		case k < 17:
			cmd = "UID COPY " + randomUIDs(r, top) + " " + other
		case k < 18:
			s = c
			c.mustOK(tag+"n", "NOOP")
			cmd = "UID COPY " + randomUIDs(r, 6) + " " + box
		case k < 19:
			s = c
			c.mustOK(tag+"n", "NOOP")
			cmd = "UID MOVE " + randomUIDs(r, 6) + " " + box
		default:
			cmd = "NOOP"
		}
		lines := s.mustOK(tag, cmd)
		if s == a {
			live.apply(tag, lines)
		}
		history = append(history, cmd)
		if i%every == every-1 {
			st := examineState(t, obs, "o"+strconv.Itoa(i), box)
			prev := snaps[len(snaps)-1]
			if st.uidValidity != prev.uidValidity {
				t.Fatalf("UIDVALIDITY changed from %d to %d", prev.uidValidity, st.uidValidity)
			}
			if st.highest < prev.highest {
				t.Fatalf("HIGHESTMODSEQ decreased from %d to %d", prev.highest, st.highest)
			}
			if d := diffMaps(st.flags, prev.flags); d != "" && st.highest == prev.highest {
				t.Fatalf("the mailbox changed (%s) but HIGHESTMODSEQ stayed %d", d, st.highest)
			}
			top = st.uidNext
			snaps = append(snaps, st)
		}
	}
	final := examineState(t, obs, "of", box)
	live.apply("fin", a.mustOK("fin", "NOOP"))
	if d := diffMaps(live.flags, final.flags); d != "" {
		t.Errorf("the live QRESYNC session's copy differs from the mailbox:%s", d)
	}
	defer func() {
		if t.Failed() {
			t.Logf("seed %d history:\n%s", seed, strings.Join(history, "\n"))
		}
	}()

	// The history must have been rich enough to test something.
	sawVanished, sawFetch := false, false
	defer func() {
		if !t.Failed() && (!sawVanished || !sawFetch) {
			t.Errorf("seed %d: no resync sent both VANISHED (%v) and FETCH (%v)", seed, sawVanished, sawFetch)
		}
	}()
	// One session resynchronises from every snapshot in turn: each
	// SELECT starts afresh (RFC 9051 §6.3.2).
	for i, snap := range snaps {
		if t.Failed() {
			return
		}
		name := fmt.Sprintf("snapshot %d (HIGHESTMODSEQ %d)", i, snap.highest)
		uv := strconv.FormatUint(uint64(snap.uidValidity), 10)
		ms := u64(snap.highest)

		// RFC 7162 §3.2.5.1 without known-uids: 1:<UIDNEXT-1>.
		lines := q.mustOK("r1", "SELECT "+box+" (QRESYNC ("+uv+" "+ms+"))")
		ans := parseResync(t, lines)
		checkResync(t, name+", QRESYNC", snap, final, nil, ans)
		sawVanished = sawVanished || len(ans.vanished) > 0
		sawFetch = sawFetch || len(ans.fetched) > 0

		// §3.2.6: the same by UID FETCH in the selected mailbox.
		lines = q.mustOK("r2", "UID FETCH 1:* (FLAGS) (CHANGEDSINCE "+ms+" VANISHED)")
		checkResync(t, name+", UID FETCH VANISHED", snap, final, nil, parseResync(t, lines))

		// §3.1.4.1: CONDSTORE only; the client learns expunges by
		// comparing UID sets.
		lines = q.mustOK("r3", "FETCH 1:* (UID FLAGS) (CHANGEDSINCE "+ms+")")
		got := restrict(snap.flags, final.uids())
		for _, l := range lines {
			if it, ok := parseFetch(l); ok {
				if it.modseq <= snap.highest || it.uid == 0 {
					t.Errorf("%s: CHANGEDSINCE answered %q", name, l)
				}
				got[it.uid] = it.flags
			}
		}
		if d := diffMaps(got, final.flags); d != "" {
			t.Errorf("%s: CHANGEDSINCE rebuilds a different mailbox:%s", name, d)
		}

		if known := snap.uids(); len(known) > 0 {
			// known-uids: exactly the snapshot's UIDs.
			lines = q.mustOK("r4", "EXAMINE "+box+" (QRESYNC ("+uv+" "+ms+" "+uidList(known)+"))")
			checkResync(t, name+", known-uids", snap, final, known, parseResync(t, lines))

			// known-uids naming never-existing UIDs, and seq-match data
			// that is right (the snapshot's numbering) or wrong (off by
			// one): the answer must be the same exact one (§3.2.5.2).
			wide := append(slices.Clone(known), final.uidNext+10, final.uidNext+11, final.uidNext+500)
			seqs := []uint32{1, uint32(len(known))}
			matchUIDs := []uint32{known[0], known[len(known)-1]}
			if r.IntN(2) == 0 {
				matchUIDs = []uint32{known[0] + 1, known[len(known)-1] + 1}
			}
			seqMatch := " (" + uidList(seqs) + " " + uidList(matchUIDs) + ")"
			if len(known) == 1 {
				seqMatch = " (1 " + strconv.Itoa(int(matchUIDs[0])) + ")"
			}
			cmd := "SELECT " + box + " (QRESYNC (" + uv + " " + ms + " " + uidList(wide) + seqMatch + "))"
			lines = q.mustOK("r5", cmd)
			checkResync(t, name+", "+cmd, snap, final, wide, parseResync(t, lines))
		}
	}
}
