package imapserver

// Across a restart of the server on the same data directory, MODSEQ and
// HIGHESTMODSEQ continue (RFC 7162 §3.1: never decreasing), QRESYNC's
// VANISHED answers survive (§3.2.5.1), and EMAILID, THREADID (RFC 8474)
// and SAVEDATE (RFC 8514) do not change.

import (
	"context"
	"log/slog"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"petrel.dev/petrel/internal/auth"
	"petrel.dev/petrel/internal/store"
	"petrel.dev/petrel/internal/store/sqlitestore"
	"petrel.dev/petrel/internal/wire"
)

// startOn runs a server over the SQLite store in dir (creating the test
// user when create is set) and returns it with a function that shuts it
// down and closes the store.
func startOn(t *testing.T, dir string, create bool) (*testServer, func()) {
	t.Helper()
	var srvPtr atomic.Pointer[Server]
	st, err := sqlitestore.Open(dir, store.Options{OnChange: func(c store.Change) {
		if s := srvPtr.Load(); s != nil {
			s.OnChange(c)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if create {
		hash, err := auth.HashPassword(testPass)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.CreateUser(ctx, testUser, hash); err != nil {
			t.Fatal(err)
		}
	}
	a := auth.New(func(ctx context.Context, user string) (string, error) {
		ui, err := st.User(ctx, user)
		return ui.PasswordHash, err
	}, auth.Options{BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond})
	panics := new(atomic.Int64)
	srv := New(Options{
		Store:  st,
		Auth:   a,
		Limits: wire.DefaultLimits(),
		Logger: slog.New(&panicCounter{Handler: slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}), n: panics}),
	})
	srvPtr.Store(srv)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := st.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
		if n := panics.Load(); n > 0 {
			t.Errorf("%d panics in commands", n)
		}
	}
	t.Cleanup(stop)
	return &testServer{panics: panics, srv: srv, store: st, addr: l.Addr().String()}, stop
}

var reIDs = regexp.MustCompile(`^\* \d+ FETCH \(UID (\d+) MODSEQ \((\d+)\) EMAILID \((E\d+)\) THREADID \((T\d+)\) SAVEDATE "([^"]+)"\)$`)

// objectIDs returns UID → "MODSEQ EMAILID THREADID SAVEDATE" for the
// selected mailbox.
func objectIDs(t *testing.T, c *tconn, tag string) map[uint32]string {
	t.Helper()
	out := map[uint32]string{}
	for _, l := range c.mustOK(tag, "UID FETCH 1:* (MODSEQ EMAILID THREADID SAVEDATE)") {
		m := reIDs.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("unexpected FETCH line %q", l)
		}
		u, _ := strconv.ParseUint(m[1], 10, 32)
		out[uint32(u)] = strings.Join(m[2:], " ")
	}
	return out
}

func TestRestartKeepsResyncState(t *testing.T) {
	dir := t.TempDir()
	ts, stop := startOn(t, dir, true)
	c := ts.login(t, testUser)
	for i := range 6 {
		c.appendMsg("a"+strconv.Itoa(i), "INBOX", "()", testMessage("r"+strconv.Itoa(i), "x"))
	}
	// A reply, so THREADID groups two messages.
	c.appendMsg("a6", "INBOX", `(\Seen)`, "Message-ID: <reply@x>\r\nIn-Reply-To: <r0@example.org>\r\nSubject: re\r\n\r\nbody\r\n")
	c.mustOK("e", "ENABLE QRESYNC")
	before := examineState(t, c, "x0", "INBOX")

	// Changes after the snapshot: flags on 2 and 7, 3 and 4 expunged,
	// 5 moved away, a new message 8.
	c.mustOK("s", "SELECT INBOX")
	c.mustOK("s1", `UID STORE 2 +FLAGS.SILENT (\Flagged)`)
	c.mustOK("s2", `UID STORE 7 -FLAGS.SILENT (\Seen)`)
	c.mustOK("s3", `UID STORE 3:4 +FLAGS.SILENT (\Deleted)`)
	c.mustOK("s4", "EXPUNGE")
	c.mustOK("m1", "CREATE Other")
	c.mustOK("m2", "UID MOVE 5 Other")
	c.appendMsg("a8", "INBOX", "($Work)", testMessage("r8", "x"))
	c.mustOK("s5", "SELECT INBOX")
	ids := objectIDs(t, c, "i1")
	mid := examineState(t, c, "x1", "INBOX")
	c.mustOK("lo", "LOGOUT")
	stop()

	ts, stop = startOn(t, dir, false)
	c = ts.login(t, testUser)
	c.mustOK("e", "ENABLE QRESYNC")
	after := examineState(t, c, "x2", "INBOX")
	if after.uidValidity != mid.uidValidity || after.uidNext != mid.uidNext || after.highest != mid.highest {
		t.Fatalf("after restart UIDVALIDITY/UIDNEXT/HIGHESTMODSEQ %d/%d/%d, before %d/%d/%d",
			after.uidValidity, after.uidNext, after.highest, mid.uidValidity, mid.uidNext, mid.highest)
	}
	if d := diffMaps(after.flags, mid.flags); d != "" {
		t.Fatalf("flags changed across the restart:%s", d)
	}
	for u, ms := range mid.modseqs {
		if after.modseqs[u] != ms {
			t.Errorf("UID %d MODSEQ %d before the restart, %d after", u, ms, after.modseqs[u])
		}
	}
	if got := objectIDs(t, c, "i2"); !mapsEqual(got, ids) {
		t.Errorf("MODSEQ/EMAILID/THREADID/SAVEDATE changed across the restart:\nbefore %v\nafter  %v", ids, got)
	}

	// The pre-restart snapshot resyncs exactly (VANISHED 3:5 survives).
	uv := strconv.FormatUint(uint64(before.uidValidity), 10)
	lines := c.mustOK("q1", "SELECT INBOX (QRESYNC ("+uv+" "+u64(before.highest)+"))")
	ans := parseResync(t, lines)
	checkResync(t, "resync after restart", before, after, nil, ans)
	if uidList(ans.vanished) != "3:5" {
		t.Errorf("VANISHED (EARLIER) %q, want 3:5", uidList(ans.vanished))
	}
	lines = c.mustOK("q2", "UID FETCH 1:* (FLAGS) (CHANGEDSINCE "+u64(before.highest)+" VANISHED)")
	checkResync(t, "UID FETCH VANISHED after restart", before, after, nil, parseResync(t, lines))

	// New changes continue above the old HIGHESTMODSEQ; so does a new
	// message, and the EMAILID of a copy is the original's.
	c.send(`w1 UID STORE 1 +FLAGS (\Answered)`)
	m := modseqOf(t, c.expectRe(`^\* 1 FETCH \(UID 1 FLAGS \(\\Answered\) MODSEQ \(\d+\)\)$`))
	c.expect("w1 OK UID STORE completed")
	if m <= mid.highest {
		t.Errorf("first MODSEQ after the restart %d, not above %d", m, mid.highest)
	}
	c.mustOK("w2", "UID COPY 1 Other")
	c.appendMsg("w3", "INBOX", "()", testMessage("r9", "x"))
	final := examineState(t, c, "x3", "INBOX")
	if final.highest <= m || final.uidNext != mid.uidNext+1 {
		t.Errorf("HIGHESTMODSEQ %d (want > %d), UIDNEXT %d (want %d)", final.highest, m, final.uidNext, mid.uidNext+1)
	}
	c.mustOK("o", "EXAMINE Other")
	c.send("o1 FETCH 2 (EMAILID)")
	c.expect("* 2 FETCH (EMAILID ("+strings.Fields(ids[1])[1]+"))", "o1 OK FETCH completed")
	c.mustOK("o2", "STATUS INBOX (HIGHESTMODSEQ)")

	// And a second restart from there: nothing moves backwards.
	c.mustOK("lo", "LOGOUT")
	stop()
	ts, _ = startOn(t, dir, false)
	c = ts.login(t, testUser)
	c.mustOK("e", "ENABLE QRESYNC")
	again := examineState(t, c, "x4", "INBOX")
	if again.highest != final.highest || diffMaps(again.flags, final.flags) != "" {
		t.Errorf("second restart: HIGHESTMODSEQ %d (want %d), flags %v (want %v)", again.highest, final.highest, again.flags, final.flags)
	}
	lines = c.mustOK("q3", "SELECT INBOX (QRESYNC ("+uv+" "+u64(before.highest)+" 1:20))")
	checkResync(t, "resync after the second restart", before, again, expandUIDs(t, "1:20"), parseResync(t, lines))
}

func mapsEqual(a, b map[uint32]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestRestartAfterExpungingAll: when the newest MODSEQ belongs to an
// expunge that emptied the mailbox, HIGHESTMODSEQ must still not go back
// after a restart (RFC 7162 §3.1.2.1, §3.2.7), and new changes continue
// above it.
func TestRestartAfterExpungingAll(t *testing.T) {
	dir := t.TempDir()
	ts, stop := startOn(t, dir, true)
	c := ts.login(t, testUser)
	for i := range 3 {
		c.appendMsg("a"+strconv.Itoa(i), "INBOX", "()", testMessage("e"+strconv.Itoa(i), "x"))
	}
	c.mustOK("e", "ENABLE QRESYNC")
	before := examineState(t, c, "x0", "INBOX")
	c.mustOK("s", "SELECT INBOX")
	c.mustOK("s1", `UID STORE 3 +FLAGS.SILENT ($Last)`)
	c.mustOK("s2", `UID STORE 1:3 +FLAGS.SILENT (\Deleted)`)
	c.mustOK("s3", "EXPUNGE")
	emptied := examineState(t, c, "x1", "INBOX")
	if emptied.highest <= before.highest || len(emptied.flags) != 0 {
		t.Fatalf("after expunging all: HIGHESTMODSEQ %d (before %d), %d messages", emptied.highest, before.highest, len(emptied.flags))
	}
	c.mustOK("lo", "LOGOUT")
	stop()

	ts, _ = startOn(t, dir, false)
	c = ts.login(t, testUser)
	c.mustOK("e", "ENABLE QRESYNC")
	c.send("st STATUS INBOX (HIGHESTMODSEQ UIDNEXT MESSAGES)")
	c.expect("* STATUS INBOX (HIGHESTMODSEQ "+u64(emptied.highest)+" UIDNEXT 4 MESSAGES 0)", "st OK STATUS completed")
	after := examineState(t, c, "x2", "INBOX")
	if after.highest != emptied.highest {
		t.Errorf("HIGHESTMODSEQ %d before the restart, %d after", emptied.highest, after.highest)
	}
	uv := strconv.FormatUint(uint64(before.uidValidity), 10)
	lines := c.mustOK("q", "SELECT INBOX (QRESYNC ("+uv+" "+u64(before.highest)+"))")
	checkResync(t, "resync of the emptied mailbox", before, after, nil, parseResync(t, lines))
	c.appendMsg("a4", "INBOX", "()", testMessage("e4", "x"))
	final := examineState(t, c, "x3", "INBOX")
	if final.modseqs[4] <= emptied.highest {
		t.Errorf("new message MODSEQ %d, not above %d", final.modseqs[4], emptied.highest)
	}
}
