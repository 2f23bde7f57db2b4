package auth

import (
	"context"
	"crypto/pbkdf2"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

// RFC 7677 §3's example exchange.
const (
	vecClientFirst = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
	vecServerNonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
	vecServerFirst = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
	vecClientFinal = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
	vecServerFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
	vecSalt        = "W22ZaJ0SNY7soEsUEjb6gQ=="
)

func vecCreds(t *testing.T) SCRAMCredentials {
	t.Helper()
	salt, _ := base64.StdEncoding.DecodeString(vecSalt)
	c, err := DeriveSCRAM("pencil", salt, 4096)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSCRAMServerRFC7677Vector(t *testing.T) {
	c := vecCreds(t)
	s := &scramServer{}
	cf, err := s.handleClientFirst([]byte(vecClientFirst))
	if err != nil || cf.user != "user" || cf.authzid != "" {
		t.Fatalf("client-first: %+v, %v", cf, err)
	}
	if got := string(s.serverFirstMessage(vecServerNonce, c)); got != vecServerFirst {
		t.Fatalf("server-first = %q, want %q", got, vecServerFirst)
	}
	got, err := s.handleClientFinal([]byte(vecClientFinal), c)
	if err != nil || string(got) != vecServerFinal {
		t.Fatalf("server-final = %q, %v; want %q", got, err, vecServerFinal)
	}
}

// scramClient is the client side of SCRAM-SHA-256, for tests.
type scramClient struct {
	user, password, gs2, cnonce string
	cbData                      []byte
	bare                        string
}

func (c *scramClient) first() string {
	c.bare = "n=" + strings.NewReplacer("=", "=3D", ",", "=2C").Replace(c.user) + ",r=" + c.cnonce
	return c.gs2 + c.bare
}

// final answers serverFirst; it returns the message and the expected
// server-final-message.
func (c *scramClient) final(t testing.TB, serverFirst string) (string, string) {
	t.Helper()
	var nonce, salt string
	var iter int
	for _, a := range strings.Split(serverFirst, ",") {
		switch {
		case strings.HasPrefix(a, "r="):
			nonce = a[2:]
		case strings.HasPrefix(a, "s="):
			salt = a[2:]
		case strings.HasPrefix(a, "i="):
			iter, _ = strconv.Atoi(a[2:])
		}
	}
	if !strings.HasPrefix(nonce, c.cnonce) || len(nonce) == len(c.cnonce) {
		t.Fatalf("server nonce %q does not extend %q", nonce, c.cnonce)
	}
	s, err := base64.StdEncoding.DecodeString(salt)
	if err != nil {
		t.Fatal(err)
	}
	pw, err := SASLprep(c.password)
	if err != nil {
		pw = c.password
	}
	salted, _ := pbkdf2.Key(sha256.New, pw, s, iter, 32)
	withoutProof := "c=" + base64.StdEncoding.EncodeToString(append([]byte(c.gs2), c.cbData...)) + ",r=" + nonce
	authMsg := c.bare + "," + serverFirst + "," + withoutProof
	clientKey := hmacSHA256(salted, []byte("Client Key"))
	stored := sha256.Sum256(clientKey)
	proof := make([]byte, 32)
	subtle.XORBytes(proof, clientKey, hmacSHA256(stored[:], []byte(authMsg)))
	serverSig := hmacSHA256(hmacSHA256(salted, []byte("Server Key")), []byte(authMsg))
	return withoutProof + ",p=" + base64.StdEncoding.EncodeToString(proof), "v=" + base64.StdEncoding.EncodeToString(serverSig)
}

func TestSCRAMClientFirstErrors(t *testing.T) {
	tls := ChannelBindings{CBTLSExporter: []byte("ekm")}
	tests := []struct {
		name  string
		plus  bool
		cb    ChannelBindings
		msg   string
		cbErr bool // else a syntax error
	}{
		{"empty", false, nil, "", false},
		{"no header", false, nil, "n=user,r=abc", false},
		{"bad flag", false, nil, "x,,n=user,r=abc", false},
		{"bad authzid", false, nil, "n,user,n=user,r=abc", false},
		{"mext", false, nil, "n,,m=x,n=user,r=abc", false},
		{"no nonce", false, nil, "n,,n=user", false},
		{"comma nonce", false, nil, "n,,n=user,x=abc", false},
		{"bad escape", false, nil, "n,,n=us=er,r=abc", false},
		{"empty user", false, nil, "n,,n=,r=abc", false},
		{"long", false, nil, "n,,n=user,r=" + strings.Repeat("a", maxSCRAMMessage), false},
		{"y over TLS", false, tls, "y,,n=user,r=abc", true},
		{"p without PLUS", false, tls, "p=tls-exporter,,n=user,r=abc", true},
		{"PLUS with n", true, tls, "n,,n=user,r=abc", true},
		{"PLUS with y", true, tls, "y,,n=user,r=abc", true},
		{"PLUS unknown type", true, tls, "p=tls-unique,,n=user,r=abc", true},
	}
	for _, tt := range tests {
		s := &scramServer{plus: tt.plus, cb: tt.cb}
		_, err := s.handleClientFirst([]byte(tt.msg))
		if tt.cbErr && !errors.Is(err, errCBMismatch) || !tt.cbErr && !errors.Is(err, ErrSCRAMSyntax) {
			t.Errorf("%s: err = %v, want cb mismatch %v", tt.name, err, tt.cbErr)
		}
	}
	// Accepted forms.
	for _, m := range []string{"y,,n=user,r=abc", "n,a=user,n=user,r=abc,x=ext", "n,,n=a=2Cb=3Dc,r=abc"} {
		s := &scramServer{}
		if _, err := s.handleClientFirst([]byte(m)); err != nil {
			t.Errorf("%q: %v", m, err)
		}
	}
	s := &scramServer{}
	if cf, _ := s.handleClientFirst([]byte("n,,n=a=2Cb=3Dc,r=abc")); cf.user != "a,b=c" {
		t.Errorf("saslname decoded to %q", cf.user)
	}
}

func TestSCRAMClientFinalErrors(t *testing.T) {
	c := vecCreds(t)
	wrong := strings.Replace(vecClientFinal, "p=dHzb", "p=dHza", 1)
	tests := []struct {
		name, msg string
		want      error
	}{
		{"wrong proof", wrong, errBadProof},
		{"no proof", "c=biws,r=x", ErrSCRAMSyntax},
		{"short proof", "c=biws,r=x,p=AAAA", ErrSCRAMSyntax},
		{"bad c", strings.Replace(vecClientFinal, "c=biws", "c=!!", 1), ErrSCRAMSyntax},
		{"other gs2 header", strings.Replace(vecClientFinal, "c=biws", "c=eSws", 1), errCBMismatch},
		{"nonce", strings.Replace(vecClientFinal, "k0,p=", "k1,p=", 1), ErrSCRAMSyntax},
		{"no c", strings.Replace(vecClientFinal, "c=biws,", "", 1), ErrSCRAMSyntax},
	}
	for _, tt := range tests {
		s := &scramServer{}
		if _, err := s.handleClientFirst([]byte(vecClientFirst)); err != nil {
			t.Fatal(err)
		}
		s.serverFirstMessage(vecServerNonce, c)
		if _, err := s.handleClientFinal([]byte(tt.msg), c); !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
		// The state machine does not run twice.
		if _, err := s.handleClientFinal([]byte(vecClientFinal), c); err == nil {
			t.Errorf("%s: a second client-final was accepted", tt.name)
		}
	}
}

func TestSCRAMHashRoundTrip(t *testing.T) {
	h, err := HashPassword("pencil")
	if err != nil {
		t.Fatal(err)
	}
	c, ok, err := SCRAMFromHash(h)
	if !ok || err != nil || c.Iterations != SCRAMIterations || len(c.Salt) != scramSaltLen {
		t.Fatalf("SCRAMFromHash = %+v, %v, %v", c, ok, err)
	}
	again, err := DeriveSCRAM("pencil", c.Salt, c.Iterations)
	if err != nil || string(again.StoredKey) != string(c.StoredKey) || string(again.ServerKey) != string(c.ServerKey) {
		t.Fatalf("stored credentials differ from a fresh derivation")
	}
	if ok, err := VerifyPassword(h, "pencil"); !ok || err != nil {
		t.Fatalf("VerifyPassword(hash with SCRAM) = %v, %v", ok, err)
	}
	// Old hashes without SCRAM still verify, and report no credentials.
	old, _ := hashWith(cheap, "pencil")
	if ok, err := VerifyPassword(old, "pencil"); !ok || err != nil {
		t.Fatalf("VerifyPassword(old) = %v, %v", ok, err)
	}
	if HasSCRAM(old) || !HasSCRAM(h) {
		t.Fatal("HasSCRAM wrong")
	}
	// A password SASLprep refuses gets a hash without SCRAM.
	h2, err := HashPassword("bell\x07")
	if err != nil || HasSCRAM(h2) {
		t.Fatalf("HashPassword(prohibited) = %q, %v", h2, err)
	}
	// Malformed suffixes make the whole hash malformed.
	i := strings.Index(h, scramPrefix)
	for _, bad := range []string{
		h[:i] + scramPrefix + "i=4096$AAAA",
		h[:i] + scramPrefix + "i=10$" + h[i+len(scramPrefix)+7:],
		h[:i] + scramPrefix + "i=x$" + h[i+len(scramPrefix)+7:],
		h + "A",
		h + "$x",
	} {
		if _, _, err := SCRAMFromHash(bad); !errors.Is(err, ErrMalformedHash) {
			t.Errorf("SCRAMFromHash(%q): %v", bad, err)
		}
		if _, err := VerifyPassword(bad, "pencil"); !errors.Is(err, ErrMalformedHash) {
			t.Errorf("VerifyPassword(%q): %v", bad, err)
		}
	}
}

func TestDeriveSCRAMRejects(t *testing.T) {
	salt := make([]byte, 16)
	for _, tt := range []struct {
		pw   string
		salt []byte
		iter int
	}{
		{"pw", salt, 1000},
		{"pw", salt, maxSCRAMIterations + 1},
		{"pw", salt[:4], 4096},
		{"", salt, 4096},
		{"a\u0627", salt, 4096},
	} {
		if _, err := DeriveSCRAM(tt.pw, tt.salt, tt.iter); err == nil {
			t.Errorf("DeriveSCRAM(%q, %d bytes, %d) succeeded", tt.pw, len(tt.salt), tt.iter)
		}
	}
	// SASLprep applies: these two passwords have the same credentials.
	a, _ := DeriveSCRAM("I\u00ADX", salt, 4096)
	b, _ := DeriveSCRAM("\u2168", salt, 4096)
	if string(a.StoredKey) != string(b.StoredKey) {
		t.Error("SASLprep-equivalent passwords derive different keys")
	}
}

// setSCRAM stores a hash with argon2 (cheap) and SCRAM credentials.
func (f *fakeUsers) setSCRAM(t *testing.T, user, password string, salt []byte) {
	t.Helper()
	h, err := hashWith(cheap, password)
	if err != nil {
		t.Fatal(err)
	}
	c, err := DeriveSCRAM(password, salt, SCRAMIterations)
	if err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	f.hashes[user] = h + c.encode()
	f.mu.Unlock()
}

func TestSCRAMExchangeRFC7677(t *testing.T) {
	h := newHarness(t, Options{})
	salt, _ := base64.StdEncoding.DecodeString(vecSalt)
	h.users.setSCRAM(t, "user", "pencil", salt)
	ctx := context.Background()
	x := h.NewSCRAM(ip1, false, nil)
	x.nonce = func() string { return vecServerNonce }
	resp, done, err := x.Next(ctx, []byte(vecClientFirst))
	if err != nil || done || string(resp) != vecServerFirst {
		t.Fatalf("first: %q, %v, %v", resp, done, err)
	}
	if x.User() != "" {
		t.Fatal("User set before the exchange ended")
	}
	resp, done, err = x.Next(ctx, []byte(vecClientFinal))
	if err != nil || !done || string(resp) != vecServerFinal {
		t.Fatalf("final: %q, %v, %v", resp, done, err)
	}
	if x.User() != "user" {
		t.Fatalf("User = %q", x.User())
	}
	if _, _, err := x.Next(ctx, []byte(vecClientFinal)); err == nil {
		t.Fatal("a third message was accepted")
	}
	if len(h.sleeps) != 0 {
		t.Fatalf("success slept %v", h.sleeps)
	}
}

func TestSCRAMExchangeFailures(t *testing.T) {
	h := newHarness(t, Options{BaseDelay: 500 * time.Millisecond, MaxDelay: 4 * time.Second})
	h.users.setSCRAM(t, "alice", "s3cret", []byte("0123456789abcdef"))
	h.users.set(t, "old", "s3cret") // no SCRAM credentials
	ctx := context.Background()
	exch := func(user, pw string, plus bool, cb ChannelBindings, gs2 string, cbData []byte) error {
		x := h.NewSCRAM(ip1, plus, cb)
		c := &scramClient{user: user, password: pw, gs2: gs2, cnonce: "fyko+d2lbbFgONRv9qkxdawL", cbData: cbData}
		sf, _, err := x.Next(ctx, []byte(c.first()))
		if err != nil {
			return err
		}
		final, wantV := c.final(t, string(sf))
		v, done, err := x.Next(ctx, []byte(final))
		if err == nil && (!done || string(v) != wantV) {
			t.Fatalf("server-final %q, done %v; want %q", v, done, wantV)
		}
		return err
	}
	if err := exch("Alice", "s3cret", false, nil, "n,,", nil); err != nil {
		t.Fatalf("right password: %v", err)
	}
	for _, tc := range []struct{ user, pw string }{
		{"alice", "wrong"}, {"nobody", "s3cret"}, {"old", "s3cret"}, {"../x", "s3cret"},
	} {
		if err := exch(tc.user, tc.pw, false, nil, "n,,", nil); !errors.Is(err, ErrFailed) {
			t.Errorf("%s/%s: %v, want ErrFailed", tc.user, tc.pw, err)
		}
	}
	// The failures went through the same delays as Authenticate's: the
	// IP's record doubles the delay each time.
	want := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second}
	if len(h.sleeps) != 4 || h.sleeps[0] != want[0] || h.sleeps[3] != want[3] {
		t.Fatalf("delays = %v, want %v", h.sleeps, want)
	}
	// And they count for Authenticate too.
	h.sleeps = nil
	_ = h.Authenticate(ctx, "alice", "bad", ip1)
	if h.sleeps[0] != 4*time.Second {
		t.Errorf("PLAIN after SCRAM failures slept %v, want 4s", h.sleeps)
	}
	logs := h.logs.String()
	if !strings.Contains(logs, "no SCRAM credentials") || !strings.Contains(logs, "user=nobody") {
		t.Errorf("failure logs lack reasons:\n%s", logs)
	}

	// Channel binding.
	cb := ChannelBindings{CBTLSExporter: []byte("0123456789abcdef0123456789abcdef")}
	h.sleeps = nil
	if err := exch("alice", "s3cret", true, cb, "p=tls-exporter,,", cb[CBTLSExporter]); err != nil {
		t.Fatalf("PLUS with the right binding: %v", err)
	}
	if err := exch("alice", "s3cret", true, cb, "p=tls-exporter,,", []byte("other")); !errors.Is(err, ErrFailed) {
		t.Errorf("PLUS with another binding: %v", err)
	}
	if err := exch("alice", "s3cret", false, cb, "y,,", nil); !errors.Is(err, ErrFailed) {
		t.Errorf("y over a connection offering PLUS: %v", err)
	}
	if err := exch("alice", "s3cret", false, cb, "n,,", nil); err != nil {
		t.Errorf("plain SCRAM over TLS: %v", err)
	}
	if err := exch("alice", "s3cret", false, nil, "y,,", nil); err != nil {
		t.Errorf("y over cleartext: %v", err)
	}
	if err := exch("alice", "s3cret", false, nil, "n,a=bob,", nil); !errors.Is(err, ErrFailed) {
		t.Errorf("authzid of another user: %v", err)
	}
	if len(h.sleeps) != 3 {
		t.Errorf("channel-binding and authzid failures slept %v, want 3 delays", h.sleeps)
	}
	// Syntax errors are not failures of a password.
	h.sleeps = nil
	x := h.NewSCRAM(ip1, false, nil)
	if _, _, err := x.Next(ctx, []byte("garbage")); !errors.Is(err, ErrSCRAMSyntax) {
		t.Errorf("garbage: %v", err)
	}
	if len(h.sleeps) != 0 {
		t.Errorf("syntax error slept %v", h.sleeps)
	}
	// Lookup errors are reported as such.
	h.users.err = errors.New("database on fire")
	x = h.NewSCRAM(ip1, false, nil)
	if _, _, err := x.Next(ctx, []byte("n,,n=alice,r=abc")); err == nil || errors.Is(err, ErrFailed) {
		t.Errorf("lookup error: %v", err)
	}
}

func TestSCRAMUnknownUserSaltStable(t *testing.T) {
	h := newHarness(t, Options{})
	ctx := context.Background()
	first := func(user string) string {
		x := h.NewSCRAM(ip1, false, nil)
		sf, _, err := x.Next(ctx, []byte("n,,n="+user+",r=abc"))
		if err != nil {
			t.Fatal(err)
		}
		_, rest, _ := strings.Cut(string(sf), ",s=")
		return rest
	}
	if a, b := first("ghost"), first("ghost"); a != b {
		t.Errorf("unknown user's salt changes: %q, %q", a, b)
	}
	if a, b := first("ghost"), first("phantom"); a == b {
		t.Errorf("two unknown users share a salt: %q", a)
	}
}

// FuzzSCRAMServer feeds arbitrary client messages to the server side:
// it must never panic, and must only succeed with a valid proof.
func FuzzSCRAMServer(f *testing.F) {
	f.Add([]byte(vecClientFirst), []byte(vecClientFinal), false)
	f.Add([]byte("p=tls-exporter,a=user,n=user,r=x"), []byte("c=cD10bHMtZXhwb3J0ZXIsYT11c2VyLA==,r=x,p=AAAA"), true)
	f.Add([]byte("y,,m=1,n=u=2C,r=a"), []byte("c=eSws,r=a,p="), false)
	salt, _ := base64.StdEncoding.DecodeString(vecSalt)
	c, err := DeriveSCRAM("pencil", salt, 4096)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, first, final []byte, plus bool) {
		s := &scramServer{plus: plus, cb: ChannelBindings{CBTLSExporter: make([]byte, 32)}}
		if _, err := s.handleClientFirst(first); err != nil {
			return
		}
		s.serverFirstMessage(vecServerNonce, c)
		if _, err := s.handleClientFinal(final, c); err == nil && string(final) != vecClientFinal {
			t.Fatalf("accepted %q after %q", final, first)
		}
	})
}
