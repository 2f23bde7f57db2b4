package imapserver

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"petrel.dev/petrel/internal/auth"
)

// Transcript tests of AUTHENTICATE with SCRAM-SHA-256(-PLUS) and LOGIN.

var b64 = base64.StdEncoding

// dialTLS serves implicit TLS (RFC 8314) on a new listener of ts's server
// and connects to it with cfg (InsecureSkipVerify is set).
func (ts *testServer) dialTLS(t testing.TB, cfg *tls.Config) (*tconn, *tls.Conn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go ts.srv.ServeTLS(l)
	t.Cleanup(func() { l.Close() })
	cfg = cfg.Clone()
	cfg.InsecureSkipVerify = true
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", l.Addr().String(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	tc := &tconn{t: t, c: c, r: bufio.NewReader(c)}
	tc.expectRe(`^\* OK \[CAPABILITY .*\] Petrel ready$`)
	return tc, c
}

// scramClient is a test client for SCRAM-SHA-256 (RFC 5802 §3).
type scramClient struct {
	user, password string
	gs2            string // "n,,", "y,,", "p=tls-exporter,,"
	cbData         []byte
	bare           string
	serverSig      string
}

func hmacSum(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

func (sc *scramClient) first() string {
	sc.bare = "n=" + sc.user + ",r=clientnonce0123456789"
	return sc.gs2 + sc.bare
}

func (sc *scramClient) final(t testing.TB, serverFirst string) string {
	t.Helper()
	attrs := map[string]string{}
	for _, a := range strings.Split(serverFirst, ",") {
		attrs[a[:1]] = a[2:]
	}
	salt, err := b64.DecodeString(attrs["s"])
	if err != nil {
		t.Fatalf("server-first %q: %v", serverFirst, err)
	}
	iter, _ := strconv.Atoi(attrs["i"])
	if iter < 4096 || !strings.HasPrefix(attrs["r"], "clientnonce0123456789") {
		t.Fatalf("server-first %q", serverFirst)
	}
	salted, _ := pbkdf2.Key(sha256.New, sc.password, salt, iter, 32)
	withoutProof := "c=" + b64.EncodeToString(append([]byte(sc.gs2), sc.cbData...)) + ",r=" + attrs["r"]
	authMsg := sc.bare + "," + serverFirst + "," + withoutProof
	clientKey := hmacSum(salted, "Client Key")
	stored := sha256.Sum256(clientKey)
	sig := hmacSum(stored[:], authMsg)
	proof := make([]byte, 32)
	for i := range proof {
		proof[i] = clientKey[i] ^ sig[i]
	}
	sc.serverSig = "v=" + b64.EncodeToString(hmacSum(hmacSum(salted, "Server Key"), authMsg))
	return withoutProof + ",p=" + b64.EncodeToString(proof)
}

// scram runs AUTHENTICATE mech with sc and returns the tagged response.
// With ir, the client-first-message goes as the initial response.
func (c *tconn) scram(t testing.TB, tag, mech string, sc *scramClient, ir bool) string {
	t.Helper()
	if ir {
		c.send(tag + " AUTHENTICATE " + mech + " " + b64.EncodeToString([]byte(sc.first())))
	} else {
		c.send(tag + " AUTHENTICATE " + mech)
		c.expect("+ ")
		c.send(b64.EncodeToString([]byte(sc.first())))
	}
	line := c.readLine()
	sf, ok := strings.CutPrefix(line, "+ ")
	if !ok {
		return line
	}
	serverFirst, err := b64.DecodeString(sf)
	if err != nil {
		t.Fatalf("server-first %q: %v", line, err)
	}
	c.send(b64.EncodeToString([]byte(sc.final(t, string(serverFirst)))))
	line = c.readLine()
	v, ok := strings.CutPrefix(line, "+ ")
	if !ok {
		return line
	}
	if got, _ := b64.DecodeString(v); string(got) != sc.serverSig {
		t.Fatalf("server-final %q, want %q", got, sc.serverSig)
	}
	c.send("")
	return c.readLine()
}

func TestAuthenticateSCRAM(t *testing.T) {
	ts := newTestServer(t)
	c := ts.dial(t)
	caps := c.mustOK("c1", "CAPABILITY")[0]
	for _, want := range []string{"AUTH=SCRAM-SHA-256", "AUTH=PLAIN", "AUTH=LOGIN"} {
		if !strings.Contains(caps, want+" ") {
			t.Errorf("capabilities lack %s: %s", want, caps)
		}
	}
	if strings.Contains(caps, "SCRAM-SHA-256-PLUS") {
		t.Errorf("cleartext connection advertises -PLUS: %s", caps)
	}

	// Wrong password, unknown user, then an aborted exchange.
	if got := c.scram(t, "a1", "SCRAM-SHA-256", &scramClient{user: testUser, password: "wrong", gs2: "n,,"}, false); got != "a1 NO [AUTHENTICATIONFAILED] Invalid credentials" {
		t.Errorf("wrong password: %q", got)
	}
	if got := c.scram(t, "a2", "SCRAM-SHA-256", &scramClient{user: "nobody", password: testPass, gs2: "n,,"}, true); got != "a2 NO [AUTHENTICATIONFAILED] Invalid credentials" {
		t.Errorf("unknown user: %q", got)
	}
	c.send("a3 AUTHENTICATE SCRAM-SHA-256")
	c.expect("+ ")
	c.send("*")
	c.expect("a3 BAD Authentication canceled")
	c.send("a4 AUTHENTICATE SCRAM-SHA-256 " + b64.EncodeToString([]byte("n,,n="+testUser+",r=abc")))
	c.expectRe(`^\+ `)
	c.send("*")
	c.expect("a4 BAD Authentication canceled")
	c.send("a5 AUTHENTICATE SCRAM-SHA-256 " + b64.EncodeToString([]byte("garbage")))
	c.expect("a5 BAD Invalid SCRAM message")
	c.send("a6 AUTHENTICATE SCRAM-SHA-256")
	c.expect("+ ")
	c.send("not base64!")
	c.expect("a6 BAD Invalid base64 in SASL response")
	// -PLUS needs TLS; "p=" with the plain mechanism is a mismatch.
	c.send("a7 AUTHENTICATE SCRAM-SHA-256-PLUS")
	c.expect("a7 NO SCRAM-SHA-256-PLUS needs TLS")
	if got := c.scram(t, "a8", "SCRAM-SHA-256", &scramClient{user: testUser, password: testPass, gs2: "p=tls-exporter,,"}, true); got != "a8 NO [AUTHENTICATIONFAILED] Invalid credentials" {
		t.Errorf("p= with SCRAM-SHA-256: %q", got)
	}

	// The server-final-message must be acknowledged with an empty line.
	sc := &scramClient{user: testUser, password: testPass, gs2: "n,,"}
	c.send("a9 AUTHENTICATE SCRAM-SHA-256 " + b64.EncodeToString([]byte(sc.first())))
	sf, _ := b64.DecodeString(strings.TrimPrefix(c.readLine(), "+ "))
	c.send(b64.EncodeToString([]byte(sc.final(t, string(sf)))))
	c.expectRe(`^\+ `)
	c.send("*")
	c.expect("a9 BAD Authentication canceled")

	// Success; "y,," is fine on cleartext, where the server cannot bind.
	got := c.scram(t, "b1", "SCRAM-SHA-256", &scramClient{user: "Alice", password: testPass, gs2: "y,,"}, false)
	if !strings.HasPrefix(got, "b1 OK [CAPABILITY ") || !strings.HasSuffix(got, "] Logged in") {
		t.Fatalf("SCRAM login: %q", got)
	}
	c.mustOK("b2", "SELECT INBOX")
	c.send("b3 AUTHENTICATE SCRAM-SHA-256")
	c.expectRe(`^b3 BAD `)
}

// SCRAM is offered and works on a cleartext connection off loopback,
// where PLAIN and LOGIN are refused.
func TestSCRAMOffLoopback(t *testing.T) {
	ts := newTestServer(t)
	server, client := net.Pipe()
	sess := newSession(ts.srv, server, netip.MustParseAddr("192.0.2.7"), false)
	go sess.run()
	t.Cleanup(func() { client.Close() })
	c := &tconn{t: t, c: client, r: bufio.NewReader(client)}
	greeting := c.expectRe(`^\* OK \[CAPABILITY .*\] Petrel ready$`)
	if !strings.Contains(greeting, "AUTH=SCRAM-SHA-256 ") || strings.Contains(greeting, "AUTH=LOGIN") {
		t.Fatalf("greeting off loopback: %s", greeting)
	}
	c.send("a1 AUTHENTICATE LOGIN")
	c.expectRe(`^a1 NO \[PRIVACYREQUIRED\] `)
	if got := c.scram(t, "a2", "SCRAM-SHA-256", &scramClient{user: testUser, password: testPass, gs2: "n,,"}, true); !strings.HasPrefix(got, "a2 OK ") {
		t.Fatalf("SCRAM off loopback: %q", got)
	}
}

func TestAuthenticateSCRAMPlus(t *testing.T) {
	ts := newTestServer(t)
	leaf := ts.tls.Certificates[0].Leaf

	// TLS 1.3: tls-exporter (RFC 9266).
	c, tc := ts.dialTLS(t, &tls.Config{MinVersion: tls.VersionTLS13})
	caps := c.mustOK("c1", "CAPABILITY")[0]
	if !strings.Contains(caps, "AUTH=SCRAM-SHA-256-PLUS ") {
		t.Fatalf("TLS connection does not advertise -PLUS: %s", caps)
	}
	cs := tc.ConnectionState()
	ekm, err := cs.ExportKeyingMaterial("EXPORTER-Channel-Binding", nil, 32)
	if err != nil {
		t.Fatal(err)
	}
	// Wrong binding data, a downgrade ("y" where the server binds), and
	// PLUS without "p=" all fail.
	bad := []*scramClient{
		{user: testUser, password: testPass, gs2: "p=tls-exporter,,", cbData: make([]byte, 32)},
		{user: testUser, password: testPass, gs2: "p=tls-unique,,"},
	}
	for i, sc := range bad {
		tag := "x" + strconv.Itoa(i)
		if got := c.scram(t, tag, "SCRAM-SHA-256-PLUS", sc, true); got != tag+" NO [AUTHENTICATIONFAILED] Invalid credentials" {
			t.Errorf("bad binding %d: %q", i, got)
		}
	}
	if got := c.scram(t, "y1", "SCRAM-SHA-256", &scramClient{user: testUser, password: testPass, gs2: "y,,"}, true); got != "y1 NO [AUTHENTICATIONFAILED] Invalid credentials" {
		t.Errorf("downgrade: %q", got)
	}
	if got := c.scram(t, "y2", "SCRAM-SHA-256-PLUS", &scramClient{user: testUser, password: testPass, gs2: "n,,"}, true); got != "y2 NO [AUTHENTICATIONFAILED] Invalid credentials" {
		t.Errorf("PLUS with n: %q", got)
	}
	got := c.scram(t, "a1", "SCRAM-SHA-256-PLUS", &scramClient{user: testUser, password: testPass, gs2: "p=tls-exporter,,", cbData: ekm}, false)
	if !strings.HasPrefix(got, "a1 OK ") {
		t.Fatalf("tls-exporter: %q", got)
	}

	// TLS 1.2: tls-server-end-point (RFC 5929 §4.1), the hash of the
	// certificate the client received.
	c, tc = ts.dialTLS(t, &tls.Config{MaxVersion: tls.VersionTLS12})
	peer := tc.ConnectionState().PeerCertificates[0]
	if !peer.Equal(leaf) {
		t.Fatal("served another certificate than the configured one")
	}
	h := sha256.Sum256(peer.Raw) // ECDSA with SHA-256
	if peer.SignatureAlgorithm != x509.ECDSAWithSHA256 {
		t.Fatalf("test assumes an ECDSA-SHA256 certificate, got %v", peer.SignatureAlgorithm)
	}
	if got := c.scram(t, "b0", "SCRAM-SHA-256-PLUS", &scramClient{user: testUser, password: testPass, gs2: "p=tls-exporter,,", cbData: ekm}, true); got != "b0 NO [AUTHENTICATIONFAILED] Invalid credentials" {
		t.Errorf("tls-exporter on TLS 1.2: %q", got)
	}
	got = c.scram(t, "b1", "SCRAM-SHA-256-PLUS", &scramClient{user: testUser, password: testPass, gs2: "p=tls-server-end-point,,", cbData: h[:]}, true)
	if !strings.HasPrefix(got, "b1 OK ") {
		t.Fatalf("tls-server-end-point: %q", got)
	}

	// After STARTTLS, -PLUS is offered and binds to the new TLS layer.
	p := ts.dial(t)
	p.mustOK("s1", "STARTTLS")
	tlsc := tls.Client(p.c, &tls.Config{InsecureSkipVerify: true})
	if err := tlsc.Handshake(); err != nil {
		t.Fatal(err)
	}
	p = &tconn{t: t, c: tlsc, r: bufio.NewReader(tlsc)}
	scs := tlsc.ConnectionState()
	ekm, _ = scs.ExportKeyingMaterial("EXPORTER-Channel-Binding", nil, 32)
	got = p.scram(t, "s2", "SCRAM-SHA-256-PLUS", &scramClient{user: testUser, password: testPass, gs2: "p=tls-exporter,,", cbData: ekm}, true)
	if !strings.HasPrefix(got, "s2 OK ") {
		t.Fatalf("PLUS after STARTTLS: %q", got)
	}
}

func TestAuthenticateLogin(t *testing.T) {
	ts := newTestServer(t)
	c := ts.dial(t)
	// draft-murchison-sasl-login: exact prompts.
	c.send("a1 AUTHENTICATE LOGIN")
	c.expect("+ VXNlcm5hbWU6")
	c.send(b64.EncodeToString([]byte(testUser)))
	c.expect("+ UGFzc3dvcmQ6")
	c.send(b64.EncodeToString([]byte("wrong")))
	c.expect("a1 NO [AUTHENTICATIONFAILED] Invalid credentials")
	c.send("a2 AUTHENTICATE LOGIN")
	c.expect("+ VXNlcm5hbWU6")
	c.send("*")
	c.expect("a2 BAD Authentication canceled")
	c.send("a3 AUTHENTICATE LOGIN")
	c.expect("+ VXNlcm5hbWU6")
	c.send("")
	c.expect("a3 BAD Invalid LOGIN user name")
	// The user name as initial response skips the first prompt.
	c.send("a4 AUTHENTICATE LOGIN " + b64.EncodeToString([]byte(testUser)))
	c.expect("+ UGFzc3dvcmQ6")
	c.send(b64.EncodeToString([]byte(testPass)))
	c.expectRe(`^a4 OK \[CAPABILITY .*\] Logged in$`)
}

// The Authenticator's failure delay applies to SCRAM and LOGIN as to
// PLAIN: with a 300 ms base delay, failures take that long and a
// success right after does not.
func TestSASLFailureDelay(t *testing.T) {
	const delay = 300 * time.Millisecond
	ts := newTestServer(t, func(o *Options) {
		st := o.Store
		o.Auth = auth.New(func(ctx context.Context, user string) (string, error) {
			ui, err := st.User(ctx, user)
			return ui.PasswordHash, err
		}, auth.Options{BaseDelay: delay, MaxDelay: delay})
	})
	c := ts.dial(t)
	start := time.Now()
	if got := c.scram(t, "a1", "SCRAM-SHA-256", &scramClient{user: testUser, password: "wrong", gs2: "n,,"}, true); !strings.HasPrefix(got, "a1 NO ") {
		t.Fatalf("wrong password: %q", got)
	}
	if d := time.Since(start); d < delay {
		t.Errorf("SCRAM failure answered after %v, want >= %v", d, delay)
	}
	start = time.Now()
	c.send("a2 AUTHENTICATE LOGIN " + b64.EncodeToString([]byte(testUser)))
	c.expect("+ UGFzc3dvcmQ6")
	c.send(b64.EncodeToString([]byte("wrong")))
	c.expectRe(`^a2 NO `)
	if d := time.Since(start); d < delay {
		t.Errorf("LOGIN failure answered after %v, want >= %v", d, delay)
	}
	start = time.Now()
	if got := c.scram(t, "a3", "SCRAM-SHA-256", &scramClient{user: testUser, password: testPass, gs2: "n,,"}, true); !strings.HasPrefix(got, "a3 OK ") {
		t.Fatalf("right password: %q", got)
	}
	if d := time.Since(start); d >= delay {
		t.Errorf("SCRAM success took %v", d)
	}
}

// Users whose hash predates SCRAM (no stored credentials) fail SCRAM but
// still log in with PLAIN.
func TestSCRAMWithoutStoredCredentials(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	u, err := ts.store.User(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	old, _, _ := strings.Cut(u.PasswordHash, "$scram-sha-256$")
	if err := ts.store.SetPasswordHash(ctx, "bob", old); err != nil {
		t.Fatal(err)
	}
	c := ts.dial(t)
	if got := c.scram(t, "a1", "SCRAM-SHA-256", &scramClient{user: "bob", password: testPass, gs2: "n,,"}, true); got != "a1 NO [AUTHENTICATIONFAILED] Invalid credentials" {
		t.Errorf("SCRAM without credentials: %q", got)
	}
	c.send("a2 AUTHENTICATE PLAIN " + b64.EncodeToString([]byte("\x00bob\x00"+testPass)))
	c.expectRe(`^a2 OK `)
}
