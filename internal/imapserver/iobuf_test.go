package imapserver

import (
	"bufio"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// sessionsOf returns the server's sessions.
func sessionsOf(srv *Server) []*session {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	var out []*session
	for s := range srv.conns {
		out = append(out, s)
	}
	return out
}

// whenParked waits until s waits in IDLE and runs f while it stays
// there: parkMu keeps the session from leaving the wait, so f may read
// the session's fields.
func whenParked(t *testing.T, s *session, f func()) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		s.parkMu.Lock()
		if s.parked {
			f()
			s.parkMu.Unlock()
			return
		}
		s.parkMu.Unlock()
		time.Sleep(time.Millisecond)
	}
	t.Fatal("session never parked in IDLE")
}

// An IDLE session on a plain TCP connection waits without read or write
// buffers, and shares its mailbox's UID list with the other sessions.
func TestIdleSessionHoldsNoBuffers(t *testing.T) {
	ts := newTestServer(t)
	a := ts.login(t, testUser)
	for i := range 3 {
		a.appendMsg("a1", "INBOX", "()", testMessage("m"+string(rune('0'+i)), "x"))
	}
	a.mustOK("a2", "SELECT INBOX")
	b := ts.login(t, testUser)
	b.mustOK("b1", "SELECT INBOX")
	b.send("b2 IDLE")
	b.expect("+ idling")
	a.send("a3 IDLE")
	a.expect("+ idling")
	sessions := sessionsOf(ts.srv)
	if len(sessions) != 2 {
		t.Fatalf("%d sessions, want 2", len(sessions))
	}
	var lists [][]uint32
	for _, s := range sessions {
		whenParked(t, s, func() {
			if s.raw == nil {
				t.Error("plain TCP session has no raw connection")
			}
			if s.br != nil || s.bw != nil {
				t.Errorf("idle session holds buffers: reader %v, writer %v", s.br != nil, s.bw != nil)
			}
			if !s.sel.shared || len(s.sel.uids) != 3 {
				t.Errorf("view shared=%v uids=%v", s.sel.shared, s.sel.uids)
			}
			lists = append(lists, s.sel.uids)
		})
	}
	if &lists[0][0] != &lists[1][0] {
		t.Error("two sessions on one mailbox hold separate UID lists")
	}
	a.send("DONE")
	a.expect("a3 OK IDLE completed")
	b.send("DONE")
	b.expect("b2 OK IDLE completed")
}

// A DONE line that arrives in pieces, with a mailbox change in between,
// loses no byte: the change is reported and IDLE ends normally.
func TestIdleSplitDoneWithChange(t *testing.T) {
	ts := newTestServer(t)
	a := ts.login(t, testUser)
	b := ts.login(t, testUser)
	b.mustOK("b1", "SELECT INBOX")
	b.send("b2 IDLE")
	b.expect("+ idling")
	b.sendRaw("DO")
	time.Sleep(20 * time.Millisecond) // let the session start reading the line
	a.appendMsg("a1", "INBOX", "()", testMessage("split", "x"))
	b.sendRaw("NE\r\n")
	b.expect("* 1 EXISTS", "* 1 RECENT", "b2 OK IDLE completed")
	b.send("b3 NOOP")
	b.expect("b3 OK NOOP completed")
}

// Many changes in a row while a session idles each reach it, in order,
// and the session still answers afterwards.
func TestIdleManyWakeups(t *testing.T) {
	ts := newTestServer(t)
	a := ts.login(t, testUser)
	b := ts.login(t, testUser)
	b.mustOK("b1", "SELECT INBOX")
	b.send("b2 IDLE")
	b.expect("+ idling")
	const n = 20
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range n {
			a.appendMsg("a1", "INBOX", "()", testMessage("w"+string(rune('a'+i)), "x"))
		}
	}()
	// Updates may be coalesced: EXISTS counts only grow, up to n.
	last := 0
	for last < n {
		line := b.readLine()
		var count int
		if _, err := fmt.Sscanf(line, "* %d EXISTS", &count); err != nil {
			continue // RECENT
		}
		if count <= last {
			t.Fatalf("EXISTS went from %d to %d", last, count)
		}
		last = count
	}
	<-done
	b.send("DONE")
	for _, line := range b.until("b2") {
		if strings.HasPrefix(line, "b2 ") && line != "b2 OK IDLE completed" {
			t.Fatalf("IDLE ended with %q", line)
		}
	}
}

// A connection without a raw socket (a pipe here, TLS in practice) waits
// in its read buffer and is woken the same way.
func TestIdleOverPipe(t *testing.T) {
	ts := newTestServer(t)
	a := ts.login(t, testUser)
	server, client := net.Pipe()
	sess := newSession(ts.srv, server, netip.MustParseAddr("127.0.0.1"), false)
	ts.srv.mu.Lock()
	ts.srv.conns[sess] = struct{}{}
	ts.srv.mu.Unlock()
	done := make(chan struct{})
	go func() {
		sess.run()
		ts.srv.mu.Lock()
		delete(ts.srv.conns, sess)
		ts.srv.mu.Unlock()
		close(done)
	}()
	t.Cleanup(func() { client.Close(); <-done })
	c := &tconn{t: t, c: client, r: bufio.NewReader(client)}
	c.expectRe(`^\* OK `)
	c.send(`p1 LOGIN alice "correct horse"`)
	c.until("p1")
	c.mustOK("p2", "SELECT INBOX")
	c.send("p3 IDLE")
	c.expect("+ idling")
	whenParked(t, sess, func() {
		if sess.raw != nil || sess.br == nil || sess.bw != nil {
			t.Errorf("pipe session: raw %v, reader %v, writer %v; want no raw, a reader, no writer",
				sess.raw != nil, sess.br != nil, sess.bw != nil)
		}
	})
	a.appendMsg("a1", "INBOX", "()", testMessage("pipe", "x"))
	c.expect("* 1 EXISTS", "* 1 RECENT")
	c.send("DONE")
	c.expect("p3 OK IDLE completed")
}

// Shutdown reaches a session waiting in IDLE at once.
func TestIdleShutdown(t *testing.T) {
	ts := newTestServer(t)
	b := ts.login(t, testUser)
	b.mustOK("b1", "SELECT INBOX")
	b.send("b2 IDLE")
	b.expect("+ idling")
	whenParked(t, sessionsOf(ts.srv)[0], func() {})
	go ts.srv.Shutdown(t.Context())
	b.expect("* BYE Server shutting down")
}

// Each IDLE session costs the server one goroutine, not two.
func TestIdleOneGoroutinePerSession(t *testing.T) {
	ts := newTestServer(t)
	const n = 40
	conns := make([]*tconn, n)
	for i := range conns {
		conns[i] = ts.login(t, testUser)
		conns[i].mustOK("s", "SELECT INBOX")
	}
	before := runtime.NumGoroutine()
	for _, c := range conns {
		c.send("i IDLE")
		c.expect("+ idling")
	}
	for _, s := range sessionsOf(ts.srv) {
		whenParked(t, s, func() {})
	}
	if extra := runtime.NumGoroutine() - before; extra > n/4 {
		t.Errorf("%d IDLE sessions started %d goroutines", n, extra)
	}
	for _, c := range conns {
		c.send("DONE")
		c.expect("i OK IDLE completed")
	}
}

// A session in IDLE on a plain TCP connection is told of changes by the
// goroutine that publishes them: it never leaves its wait.
func TestIdlePushStaysParked(t *testing.T) {
	ts := newTestServer(t)
	a := ts.login(t, testUser)
	b := ts.login(t, testUser)
	b.mustOK("b1", "SELECT INBOX")
	b.send("b2 IDLE")
	b.expect("+ idling")
	sess := parkedSession(t, ts.srv)
	for i := range 3 {
		a.appendMsg("a1", "INBOX", "()", testMessage(fmt.Sprint("p", i), "x"))
		b.expect(fmt.Sprintf("* %d EXISTS", i+1), fmt.Sprintf("* %d RECENT", i+1))
	}
	a.mustOK("a2", "SELECT INBOX")
	a.mustOK("a3", `STORE 2 +FLAGS (\Seen)`)
	b.expect(`* 2 FETCH (UID 2 FLAGS (\Seen \Recent))`)
	whenParked(t, sess, func() {
		if sess.pushes < 4 || sess.interrupted {
			t.Errorf("pushes %d, interrupted %v: want 4 pushes and no wake-up", sess.pushes, sess.interrupted)
		}
		if sess.bw != nil || sess.br != nil {
			t.Error("session holds buffers after pushes")
		}
	})
	b.send("DONE")
	b.expect("b2 OK IDLE completed")
}

// parkedSession waits until one of srv's sessions waits in IDLE and
// returns it.
func parkedSession(t *testing.T, srv *Server) *session {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		for _, s := range sessionsOf(srv) {
			s.parkMu.Lock()
			parked := s.parked
			s.parkMu.Unlock()
			if parked {
				return s
			}
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatal("no session parked in IDLE")
	return nil
}

// smallBufListener gives accepted connections a small send buffer, so
// that a client that does not read soon stops taking pushed updates.
type smallBufListener struct{ net.Listener }

func (l smallBufListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		c.(*net.TCPConn).SetWriteBuffer(4096)
	}
	return c, err
}

// A client in IDLE that stops reading gets every update anyway, whole and
// in order, once it reads again: what a push cannot write at once is
// written by the session after it (spill), before anything else.
func TestIdlePushSpill(t *testing.T) {
	ts := newTestServer(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go ts.srv.Serve(smallBufListener{l})
	a := ts.login(t, testUser)
	const n = 40
	for i := range n {
		a.appendMsg("a1", "INBOX", "()", testMessage(fmt.Sprint("s", i), "x"))
	}
	a.mustOK("a2", "SELECT INBOX")

	nc, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.(*net.TCPConn).SetReadBuffer(4096)
	b := &tconn{t: t, c: nc, r: bufio.NewReaderSize(nc, 512)}
	b.expectRe(`^\* OK `)
	b.send(`b1 LOGIN alice "correct horse"`)
	b.until("b1")
	b.mustOK("b2", "SELECT INBOX")
	b.send("b3 IDLE")
	b.expect("+ idling")
	sess := parkedSession(t, ts.srv)

	// Each round changes every message's keywords: about 40 KB of FETCH
	// responses, far more than the socket buffers hold.
	long := strings.Repeat("k", 200)
	const rounds = 6
	for r := range rounds {
		var kws []string
		for k := range 4 {
			kws = append(kws, fmt.Sprintf("%s%d_%d", long, r, k))
		}
		a.mustOK("s", "STORE 1:* FLAGS ("+strings.Join(kws, " ")+")")
	}
	final := fmt.Sprintf("FLAGS (%s%d_0 %[1]s%d_1 %[1]s%d_2 %[1]s%d_3", long, rounds-1, rounds-1, rounds-1, rounds-1)

	fetchRe := regexp.MustCompile(`^\* (\d+) FETCH \(UID \d+ FLAGS \(([^()]*)\)\)$`)
	otherRe := regexp.MustCompile(`^\* (FLAGS \([^()]*\)|OK \[PERMANENTFLAGS \([^()]*\)\] .*)$`)
	last := make(map[string]string)
	for len(last) < n || !allFinal(last, final) {
		line := b.readLine()
		if m := fetchRe.FindStringSubmatch(line); m != nil {
			last[m[1]] = "FLAGS (" + m[2]
			continue
		}
		if !otherRe.MatchString(line) {
			t.Fatalf("unexpected or damaged line %.120q", line)
		}
	}
	b.send("DONE")
	b.expect("b3 OK IDLE completed")
	b.mustOK("b4", "NOOP")
	sess.parkMu.Lock()
	spills := sess.spills
	sess.parkMu.Unlock()
	if spills == 0 {
		t.Error("no push spilled: the test did not fill the socket")
	}
}

func allFinal(last map[string]string, final string) bool {
	for _, v := range last {
		if !strings.HasPrefix(v, final) {
			return false
		}
	}
	return true
}
