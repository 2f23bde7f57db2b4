package certs

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// writePair generates a pair for host and writes it to certFile and
// keyFile, returning the certificate's serial number as a string.
func writePair(t *testing.T, certFile, keyFile, host string) string {
	t.Helper()
	certPEM, keyPEM, err := generate([]string{host}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := writeFileAtomic(keyFile, keyPEM); err != nil {
		t.Fatal(err)
	}
	if err := writeFileAtomic(certFile, certPEM); err != nil {
		t.Fatal(err)
	}
	leaf, err := parseLeaf(certPEM)
	if err != nil {
		t.Fatal(err)
	}
	return leaf.SerialNumber.String()
}

type logBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newTestReloader(t *testing.T) (r *Reloader, certFile, keyFile string, logs *logBuf) {
	t.Helper()
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writePair(t, certFile, keyFile, "one.example")
	logs = &logBuf{}
	r, err := NewReloader(certFile, keyFile, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return r, certFile, keyFile, logs
}

func TestReloaderReload(t *testing.T) {
	r, certFile, keyFile, logs := newTestReloader(t)
	if got := r.Certificate().Leaf.DNSNames[0]; got != "one.example" {
		t.Fatalf("serving %q", got)
	}
	cfg := r.TLSConfig()
	if cfg.MinVersion != tls.VersionTLS12 {
		t.Errorf("MinVersion = %x", cfg.MinVersion)
	}

	// A mismatched pair is refused and the old one stays.
	other := filepath.Join(t.TempDir(), "other")
	writePair(t, other+"-cert", other+"-key", "two.example")
	data, _ := os.ReadFile(other + "-cert")
	if err := os.WriteFile(certFile, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := r.Reload(); !errors.Is(err, ErrKeyMismatch) {
		t.Fatalf("Reload(mismatch) = %v, want ErrKeyMismatch", err)
	}
	if got, _ := r.GetCertificate(nil); got.Leaf.DNSNames[0] != "one.example" {
		t.Fatalf("after a failed reload serving %q", got.Leaf.DNSNames[0])
	}
	if !strings.Contains(logs.String(), "reload failed") {
		t.Errorf("failed reload not logged:\n%s", logs)
	}
	// Garbage too.
	os.WriteFile(keyFile, []byte("not a key"), 0o600)
	if err := r.Reload(); err == nil {
		t.Fatal("Reload(garbage) succeeded")
	}

	writePair(t, certFile, keyFile, "three.example")
	if err := r.Reload(); err != nil {
		t.Fatal(err)
	}
	if got := r.Certificate().Leaf.DNSNames[0]; got != "three.example" {
		t.Fatalf("after reload serving %q", got)
	}
}

func TestNewReloaderErrors(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	writePair(t, a+"-cert", a+"-key", "a.example")
	writePair(t, b+"-cert", b+"-key", "b.example")
	if _, err := NewReloader(a+"-cert", b+"-key", nil); !errors.Is(err, ErrKeyMismatch) {
		t.Errorf("mismatch: %v", err)
	}
	if _, err := NewReloader(filepath.Join(dir, "missing"), a+"-key", nil); err == nil {
		t.Error("missing file accepted")
	}
}

// TestReloaderWatch serves TLS with the Reloader: after the files are
// replaced, Watch puts the new pair in service; a new connection sees
// it and a connection made before keeps working.
func TestReloaderWatch(t *testing.T) {
	r, certFile, keyFile, _ := newTestReloader(t)
	l, err := tls.Listen("tcp", "127.0.0.1:0", r.TLSConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() { // echo server
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				io.Copy(c, c)
			}()
		}
	}()
	dial := func() (*tls.Conn, *bufio.Reader) {
		c, err := tls.Dial("tcp", l.Addr().String(), &tls.Config{InsecureSkipVerify: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		c.SetDeadline(time.Now().Add(10 * time.Second))
		return c, bufio.NewReader(c)
	}
	echo := func(c *tls.Conn, r *bufio.Reader, s string) {
		t.Helper()
		io.WriteString(c, s+"\n")
		if got, err := r.ReadString('\n'); err != nil || got != s+"\n" {
			t.Fatalf("echo %q: %q, %v", s, got, err)
		}
	}
	old, oldR := dial()
	echo(old, oldR, "before")
	if got := old.ConnectionState().PeerCertificates[0].DNSNames[0]; got != "one.example" {
		t.Fatalf("first connection got %q", got)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Watch(ctx, 10*time.Millisecond); close(done) }()
	defer func() { cancel(); <-done }()

	// Make sure the modification time differs from the first write's.
	time.Sleep(20 * time.Millisecond)
	serial := writePair(t, certFile, keyFile, "two.example")
	future := time.Now().Add(time.Second)
	os.Chtimes(certFile, future, future)
	deadline := time.Now().Add(5 * time.Second)
	for r.Certificate().Leaf.SerialNumber.String() != serial {
		if time.Now().After(deadline) {
			t.Fatal("Watch did not reload the changed files")
		}
		time.Sleep(10 * time.Millisecond)
	}
	c, cr := dial()
	echo(c, cr, "new")
	if got := c.ConnectionState().PeerCertificates[0].DNSNames[0]; got != "two.example" {
		t.Errorf("new connection got %q, want two.example", got)
	}
	echo(old, oldR, "after")
}
