package certs

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestEnsureSelfSigned(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	certFile, keyFile, err := EnsureSelfSigned(dir, []string{"mail.example.org", "192.0.2.7"})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{certFile, keyFile} {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", f, fi.Mode().Perm())
		}
	}
	cfg, err := Load(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MinVersion != tls.VersionTLS12 {
		t.Errorf("MinVersion = %x, want TLS 1.2", cfg.MinVersion)
	}
	leaf := cfg.Certificates[0].Leaf
	for _, h := range []string{"localhost", "127.0.0.1", "::1", "mail.example.org", "192.0.2.7"} {
		if err := leaf.VerifyHostname(h); err != nil {
			t.Errorf("certificate does not cover %s: %v", h, err)
		}
	}
	if d := time.Until(leaf.NotAfter); d < 360*24*time.Hour || d > 366*24*time.Hour {
		t.Errorf("certificate valid for %v, want about a year", d)
	}

	// A second call reuses the pair.
	before, _ := os.ReadFile(certFile)
	if _, _, err := EnsureSelfSigned(dir, []string{"MAIL.example.org"}); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(certFile)
	if string(before) != string(after) {
		t.Error("certificate regenerated although still valid")
	}
	// A new host name makes a new certificate.
	if _, _, err := EnsureSelfSigned(dir, []string{"other.example.org"}); err != nil {
		t.Fatal(err)
	}
	after, _ = os.ReadFile(certFile)
	if string(before) == string(after) {
		t.Error("certificate reused although it lacks a requested host")
	}
	// A corrupt file is replaced.
	if err := os.WriteFile(certFile, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := EnsureSelfSigned(dir, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(certFile, keyFile); err != nil {
		t.Fatalf("after replacing a corrupt file: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("data dir holds %d files, want 2 (temporary files left?)", len(entries))
	}
}

func TestReusableExpiry(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, err := EnsureSelfSigned(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reusable(certFile, keyFile, defaultHosts, time.Now()) {
		t.Fatal("fresh certificate not reusable")
	}
	if reusable(certFile, keyFile, defaultHosts, time.Now().Add(340*24*time.Hour)) {
		t.Error("certificate within 30 days of expiry still reusable")
	}
}

func TestLoadMismatch(t *testing.T) {
	c1, k1, err := EnsureSelfSigned(filepath.Join(t.TempDir(), "a"), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, k2, err := EnsureSelfSigned(filepath.Join(t.TempDir(), "b"), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Load(c1, k2)
	if !errors.Is(err, ErrKeyMismatch) {
		t.Fatalf("Load(cert a, key b) = %v, want ErrKeyMismatch", err)
	}
	if !strings.Contains(err.Error(), c1) || !strings.Contains(err.Error(), k2) {
		t.Errorf("error %q does not name both files", err)
	}
	if _, err := Load(c1, k1); err != nil {
		t.Fatalf("Load(cert a, key a): %v", err)
	}
	// A mismatching generated pair is not reused.
	if reusable(c1, k2, defaultHosts, time.Now()) {
		t.Error("mismatched pair reusable")
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	c, k, err := EnsureSelfSigned(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	junk := filepath.Join(dir, "junk.pem")
	if err := os.WriteFile(junk, []byte("not pem"), 0o600); err != nil {
		t.Fatal(err)
	}
	huge := filepath.Join(dir, "huge.pem")
	if err := os.WriteFile(huge, make([]byte, maxPEM+1), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ cert, key, want string }{
		{filepath.Join(dir, "missing.pem"), k, "missing.pem"},
		{c, filepath.Join(dir, "missing.pem"), "missing.pem"},
		{junk, k, "no PEM CERTIFICATE"},
		{c, junk, "no PEM private key"},
		{k, k, "no PEM CERTIFICATE"},
		{c, c, "no PEM private key"},
		{huge, k, "larger than"},
	}
	for _, tt := range tests {
		_, err := Load(tt.cert, tt.key)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Load(%s, %s) = %v, want error containing %q", tt.cert, tt.key, err, tt.want)
		}
	}
}

func TestTLSHandshake(t *testing.T) {
	c, k, err := EnsureSelfSigned(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(c, k)
	if err != nil {
		t.Fatal(err)
	}
	l, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		conn, err := l.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		_ = conn.(*tls.Conn).Handshake()
	}()
	roots := x509.NewCertPool()
	roots.AddCert(cfg.Certificates[0].Leaf)
	conn, err := tls.Dial("tcp", l.Addr().String(), &tls.Config{RootCAs: roots, ServerName: "localhost"})
	if err != nil {
		t.Fatalf("handshake with the generated certificate: %v", err)
	}
	conn.Close()
}
