package imapserver

import (
	"bufio"
	"context"
	"crypto/tls"
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
	"petrel.dev/petrel/internal/certs"
	"petrel.dev/petrel/internal/store"
	"petrel.dev/petrel/internal/store/sqlitestore"
	"petrel.dev/petrel/internal/wire"
)

// testServer is a real server on 127.0.0.1:0 over a real SQLite store in
// a temporary directory.
type testServer struct {
	panics *atomic.Int64 // recovered panics logged by the server
	srv    *Server
	store  store.Store
	dir    string // the data directory
	addr   string
	tls    *tls.Config
}

const (
	testUser = "alice"
	testPass = "correct horse"
)

func newTestServer(t testing.TB, mod ...func(*Options)) *testServer {
	t.Helper()
	dir := t.TempDir()
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
	hash, err := auth.HashPassword(testPass)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{testUser, "bob"} {
		if err := st.CreateUser(ctx, u, hash); err != nil {
			t.Fatal(err)
		}
	}
	a := auth.New(func(ctx context.Context, user string) (string, error) {
		ui, err := st.User(ctx, user)
		return ui.PasswordHash, err
	}, auth.Options{BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond})
	certFile, keyFile, err := certs.EnsureSelfSigned(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	tlsConf, err := certs.Load(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	panics := new(atomic.Int64)
	lim := wire.DefaultLimits()
	lim.MaxAppend = 1 << 20
	opts := Options{
		Store:  st,
		Auth:   a,
		TLS:    tlsConf,
		Limits: lim,
		Logger: slog.New(&panicCounter{Handler: slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}), n: panics}),
	}
	for _, m := range mod {
		m(&opts)
	}
	srv := New(opts)
	srvPtr.Store(srv)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		st.Close()
	})
	return &testServer{dir: dir, panics: panics, srv: srv, store: st, addr: l.Addr().String(), tls: tlsConf}
}

// tconn is a raw client for byte-exact transcripts:
// c.send("a1 NOOP") / c.expect("a1 OK NOOP completed").
type tconn struct {
	t testing.TB
	c net.Conn
	r *bufio.Reader
}

func (ts *testServer) dial(t testing.TB) *tconn {
	t.Helper()
	c, err := net.DialTimeout("tcp", ts.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	tc := &tconn{t: t, c: c, r: bufio.NewReader(c)}
	tc.expectRe(`^\* OK \[CAPABILITY .*\] Petrel ready$`)
	return tc
}

// login dials and logs in as user.
func (ts *testServer) login(t testing.TB, user string) *tconn {
	c := ts.dial(t)
	c.send("L1 LOGIN " + user + ` "` + testPass + `"`)
	c.expectRe(`^L1 OK \[CAPABILITY .*\] Logged in$`)
	return c
}

func (c *tconn) send(s string) {
	c.t.Helper()
	c.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.c.Write([]byte(s + "\r\n")); err != nil {
		c.t.Fatalf("send %q: %v", s, err)
	}
}

func (c *tconn) sendRaw(s string) {
	c.t.Helper()
	c.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.c.Write([]byte(s)); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

func (c *tconn) readLine() string {
	c.t.Helper()
	c.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, err := c.r.ReadString('\n')
	if err != nil {
		c.t.Fatalf("read: %v (got %q)", err, line)
	}
	if !strings.HasSuffix(line, "\r\n") {
		c.t.Fatalf("line without CRLF: %q", line)
	}
	return strings.TrimSuffix(line, "\r\n")
}

// expect reads one line per argument and compares exactly.
func (c *tconn) expect(lines ...string) {
	c.t.Helper()
	for _, want := range lines {
		if got := c.readLine(); got != want {
			c.t.Fatalf("got  %q\nwant %q", got, want)
		}
	}
}

func (c *tconn) expectRe(pattern string) string {
	c.t.Helper()
	got := c.readLine()
	if !regexp.MustCompile(pattern).MatchString(got) {
		c.t.Fatalf("got %q, want match for %q", got, pattern)
	}
	return got
}

// until reads lines up to and including the tagged response for tag and
// returns them all.
func (c *tconn) until(tag string) []string {
	c.t.Helper()
	var out []string
	for {
		line := c.readLine()
		out = append(out, line)
		if strings.HasPrefix(line, tag+" ") {
			return out
		}
	}
}

// exchange sends a command and returns its untagged lines and the tagged one.
func (c *tconn) exchange(tag, cmd string) ([]string, string) {
	c.t.Helper()
	c.send(tag + " " + cmd)
	lines := c.until(tag)
	return lines[:len(lines)-1], lines[len(lines)-1]
}

// mustOK runs a command and fails unless it ends in OK.
func (c *tconn) mustOK(tag, cmd string) []string {
	c.t.Helper()
	untagged, tagged := c.exchange(tag, cmd)
	if !strings.HasPrefix(tagged, tag+" OK") {
		c.t.Fatalf("%s: %s (untagged %q)", cmd, tagged, untagged)
	}
	return untagged
}

// appendMsg appends msg with a synchronising literal.
func (c *tconn) appendMsg(tag, mailbox, flags, msg string) string {
	c.t.Helper()
	c.send(tag + " APPEND " + mailbox + " " + flags + " {" + strconv.Itoa(len(msg)) + "}")
	c.expectRe(`^\+ `)
	c.send(msg)
	lines := c.until(tag)
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, tag+" OK") {
		c.t.Fatalf("append: %s", last)
	}
	return last
}

func testMessage(subject, body string) string {
	return "From: Alice <alice@example.org>\r\n" +
		"To: Bob <bob@example.org>\r\n" +
		"Subject: " + subject + "\r\n" +
		"Date: Mon, 7 Feb 1994 21:52:25 -0800\r\n" +
		"Message-ID: <" + subject + "@example.org>\r\n" +
		"\r\n" + body + "\r\n"
}

// panicCounter counts the server's "panic in command" log records.
type panicCounter struct {
	slog.Handler
	n *atomic.Int64
}

func (h *panicCounter) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "panic in command" {
		h.n.Add(1)
	}
	return h.Handler.Handle(ctx, r)
}

func (h *panicCounter) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &panicCounter{Handler: h.Handler.WithAttrs(attrs), n: h.n}
}

func (h *panicCounter) WithGroup(name string) slog.Handler {
	return &panicCounter{Handler: h.Handler.WithGroup(name), n: h.n}
}
