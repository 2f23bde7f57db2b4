package imapserver

import (
	"crypto/sha256"
	"crypto/tls"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"petrel.dev/petrel/internal/certs"
)

// With a certs.Reloader as the TLS configuration, a reload gives new
// connections the new certificate while established sessions go on, and
// tls-server-end-point binds to the certificate in service.
func TestTLSReloadKeepsSessions(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	place := func(host string) {
		c, k, err := certs.EnsureSelfSigned(t.TempDir(), []string{host})
		if err != nil {
			t.Fatal(err)
		}
		for from, to := range map[string]string{c: certFile, k: keyFile} {
			data, err := os.ReadFile(from)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(to, data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	place("one.example")
	r, err := certs.NewReloader(certFile, keyFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := newTestServer(t, func(o *Options) { o.TLS = r.TLSConfig() })
	name := func(tc *tls.Conn) string {
		n := tc.ConnectionState().PeerCertificates[0].DNSNames
		return n[len(n)-1]
	}

	old, oldTLS := ts.dialTLS(t, &tls.Config{})
	if got := name(oldTLS); got != "one.example" {
		t.Fatalf("first certificate for %q", got)
	}
	old.mustOK("a1", `LOGIN alice "correct horse"`)
	old.mustOK("a2", "SELECT INBOX")

	place("two.example")
	if err := r.Reload(); err != nil {
		t.Fatal(err)
	}
	c, tc := ts.dialTLS(t, &tls.Config{MaxVersion: tls.VersionTLS12})
	if got := name(tc); got != "two.example" {
		t.Fatalf("after reload, certificate for %q", got)
	}
	old.mustOK("a3", "NOOP")
	old.mustOK("a4", "STATUS INBOX (MESSAGES)")

	h := sha256.Sum256(tc.ConnectionState().PeerCertificates[0].Raw)
	got := c.scram(t, "b1", "SCRAM-SHA-256-PLUS", &scramClient{user: testUser, password: testPass, gs2: "p=tls-server-end-point,,", cbData: h[:]}, true)
	if !strings.HasPrefix(got, "b1 OK ") {
		t.Fatalf("tls-server-end-point with the reloader: %q", got)
	}
}
