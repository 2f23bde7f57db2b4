package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"petrel.dev/petrel/internal/auth"
	"petrel.dev/petrel/internal/certs"
	"petrel.dev/petrel/internal/store"
	"petrel.dev/petrel/internal/store/sqlitestore"
)

// pairFor writes a self-signed pair for host in a new directory.
func pairFor(t *testing.T, host string) (certFile, keyFile string) {
	t.Helper()
	c, k, err := certs.EnsureSelfSigned(t.TempDir(), []string{host})
	if err != nil {
		t.Fatal(err)
	}
	return c, k
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	tmp := to + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, to); err != nil {
		t.Fatal(err)
	}
}

func TestServeRefusesMismatchedKey(t *testing.T) {
	c1, _ := pairFor(t, "one.example")
	_, k2 := pairFor(t, "two.example")
	r := runArgs(t, "", "serve", "--data", t.TempDir(), "--imap", "127.0.0.1:0", "--imaps", "", "--lmtp", "",
		"--tls-cert", c1, "--tls-key", k2).want(t, exitError)
	if !strings.Contains(r.stderr, "does not match private key") || !strings.Contains(r.stderr, c1) {
		t.Errorf("stderr = %q", r.stderr)
	}
}

// TestServeCertReloadOnSIGHUP replaces the certificate files of a running
// server and sends SIGHUP: new connections get the new certificate, and
// a connection made before keeps working.
func TestServeCertReloadOnSIGHUP(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	c1, k1 := pairFor(t, "one.example")
	copyFile(t, c1, certFile)
	copyFile(t, k1, keyFile)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--data", filepath.Join(dir, "data"), "--imap", "", "--imaps", "127.0.0.1:0",
			"--lmtp", "", "--tls-cert", certFile, "--tls-key", keyFile},
			strings.NewReader(""), &stdout, &stderr)
	}()
	addrRE := regexp.MustCompile(`msg=listening proto=imaps addr=(\S+)`)
	var addr string
	for deadline := time.Now().Add(20 * time.Second); addr == ""; {
		select {
		case code := <-done:
			t.Fatalf("serve exited with %d\nstderr: %s", code, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not start\nstderr: %s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
		if m := addrRE.FindStringSubmatch(stderr.String()); m != nil {
			addr = m[1]
		}
	}
	dial := func() (*tls.Conn, *bufio.Reader, string) {
		c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, &tls.Config{InsecureSkipVerify: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		c.SetDeadline(time.Now().Add(20 * time.Second))
		r := bufio.NewReader(c)
		expectLine(t, r, "* OK")
		names := c.ConnectionState().PeerCertificates[0].DNSNames
		return c, r, names[len(names)-1]
	}
	old, oldR, name := dial()
	if name != "one.example" {
		t.Fatalf("first certificate is for %q", name)
	}

	// A broken pair (key of another certificate) is refused on SIGHUP.
	c2, k2 := pairFor(t, "two.example")
	copyFile(t, c2, certFile)
	syscall.Kill(os.Getpid(), syscall.SIGHUP)
	waitFor(t, &stderr, "reload failed")
	if _, _, name := dial(); name != "one.example" {
		t.Fatalf("after a failed reload, certificate for %q", name)
	}

	copyFile(t, k2, keyFile)
	before := strings.Count(stderr.String(), "SIGHUP")
	syscall.Kill(os.Getpid(), syscall.SIGHUP)
	for deadline := time.Now().Add(10 * time.Second); strings.Count(stderr.String(), "SIGHUP") == before; {
		if time.Now().After(deadline) {
			t.Fatalf("no SIGHUP reload logged\nstderr: %s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	waitFor(t, &stderr, "two.example")
	if _, _, name := dial(); name != "two.example" {
		t.Fatalf("after SIGHUP, certificate for %q", name)
	}
	io.WriteString(old, "a1 NOOP\r\n")
	expectLine(t, oldR, "a1 OK")

	cancel()
	if code := <-done; code != exitOK {
		t.Fatalf("serve exited with %d\nstderr: %s", code, stderr.String())
	}
}

// waitFor waits until the log contains s.
func waitFor(t *testing.T, log *syncBuffer, s string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(log.String(), s); {
		if time.Now().After(deadline) {
			t.Fatalf("log lacks %q:\n%s", s, log.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// user add and passwd store SCRAM credentials; a password SASLprep
// refuses is stored without them, with a warning.
func TestUserSCRAMCredentials(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	runArgs(t, "pencil\n", "user", "add", "--data", dir, "alice", "--password-stdin").want(t, exitOK)
	if !auth.HasSCRAM(storedHash(t, dir, "alice")) {
		t.Fatal("user add stored no SCRAM credentials")
	}
	r := runArgs(t, "bell\x07\n", "user", "passwd", "--data", dir, "alice", "--password-stdin").want(t, exitOK)
	if !strings.Contains(r.stderr, "SASLprep") || auth.HasSCRAM(storedHash(t, dir, "alice")) {
		t.Fatalf("prohibited password: stderr %q", r.stderr)
	}
	runArgs(t, "", "user", "passwd", "--data", dir, "alice").want(t, exitOK)
	if !auth.HasSCRAM(storedHash(t, dir, "alice")) {
		t.Fatal("user passwd stored no SCRAM credentials")
	}
}

func storedHash(t *testing.T, dir, user string) string {
	t.Helper()
	st, err := sqlitestore.Open(dir, store.Options{NoMaintenance: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, err := st.User(context.Background(), user)
	if err != nil {
		t.Fatal(err)
	}
	return u.PasswordHash
}
