package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"petrel.dev/petrel/internal/config"
)

// syncBuffer is a bytes.Buffer safe for concurrent writes and reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestServeConfig(t *testing.T) {
	file := filepath.Join(t.TempDir(), "petrel.toml")
	if err := os.WriteFile(file, []byte("data_dir = \"/from/file\"\n[listen]\nimap = \"127.0.0.1:2143\"\n[log]\nlevel = \"warn\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e := env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}

	cfg, err := serveConfig(e, nil)
	if err != nil {
		t.Fatal(err)
	}
	if def := config.Default(); cfg.DataDir != def.DataDir || cfg.Listen != def.Listen {
		t.Errorf("no flags: got %+v, want defaults", cfg)
	}

	cfg, err = serveConfig(e, []string{"--config", file})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir != "/from/file" || cfg.Listen.IMAP != "127.0.0.1:2143" || cfg.Listen.IMAPS != config.Default().Listen.IMAPS || cfg.Log.Level != "warn" {
		t.Errorf("file: got %+v", cfg)
	}

	cfg, err = serveConfig(e, []string{"--config", file, "--data", "/from/flag", "--imap", "", "--imaps", "[::1]:993",
		"--lmtp", "unix:/run/petrel/lmtp", "--tls-cert", "c.pem", "--tls-key", "k.pem", "--log-level", "debug"})
	if err != nil {
		t.Fatal(err)
	}
	want := config.Listen{IMAP: "", IMAPS: "[::1]:993", LMTP: "unix:/run/petrel/lmtp"}
	if cfg.DataDir != "/from/flag" || cfg.Listen != want || cfg.TLS.Cert != "c.pem" || cfg.TLS.Key != "k.pem" || cfg.Log.Level != "debug" {
		t.Errorf("flags over file: got %+v", cfg)
	}

	for _, args := range [][]string{
		{"--imap", "", "--imaps", ""},
		{"--lmtp", "2424"},
		{"--tls-cert", "c.pem"},
		{"--config", filepath.Join(t.TempDir(), "missing.toml")},
	} {
		if _, err := serveConfig(e, args); err == nil {
			t.Errorf("serveConfig(%q) succeeded", args)
		}
	}
}

func TestAuthOptions(t *testing.T) {
	c := config.Default().Auth
	o := authOptions(c, nil)
	if o.BaseDelay != c.FailureDelay.Duration || o.MaxDelay != c.MaxFailureDelay.Duration || o.CacheTTL != c.CacheTTL.Duration || o.CacheSize != c.CacheSize {
		t.Errorf("defaults mapped to %+v", o)
	}
	c.FailureDelay.Duration, c.CacheTTL.Duration, c.CacheSize = 0, 0, 0
	o = authOptions(c, nil)
	if o.BaseDelay >= 0 || o.CacheTTL >= 0 || o.CacheSize >= 0 {
		t.Errorf("zeros (disabled) mapped to %+v, want negatives", o)
	}
}

// TestServe runs the whole server on ephemeral ports: the first user is
// created and printed, both listeners greet, the printed password logs
// in, and cancelling the context shuts down with exit code 0.
func TestServe(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--data", dir, "--imap", "127.0.0.1:0", "--imaps", "127.0.0.1:0",
			"--lmtp", "unix:" + filepath.Join(dir, "lmtp.sock"), "--log-level", "debug"},
			strings.NewReader(""), &stdout, &stderr)
	}()

	addrRE := regexp.MustCompile(`msg=listening proto=(imaps?|lmtp) addr=(\S+)`)
	addrs := map[string]string{}
	deadline := time.Now().Add(20 * time.Second)
	for len(addrs) < 3 {
		select {
		case code := <-done:
			t.Fatalf("serve exited with %d\nstderr: %s", code, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not start\nstderr: %s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
		for _, m := range addrRE.FindAllStringSubmatch(stderr.String(), -1) {
			addrs[m[1]] = m[2]
		}
	}
	m := regexp.MustCompile(`created user petrel with password ([A-Za-z0-9]{20})\n`).FindStringSubmatch(stdout.String())
	if m == nil {
		t.Fatalf("first user not printed: %q", stdout.String())
	}
	password := m[1]

	c, err := net.DialTimeout("tcp", addrs["imap"], 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	expectLine(t, r, "* OK")
	io.WriteString(c, "a1 LOGIN petrel "+password+"\r\n")
	for {
		line := expectLine(t, r, "")
		if strings.HasPrefix(line, "a1 ") {
			if !strings.HasPrefix(line, "a1 OK") {
				t.Fatalf("LOGIN with the printed password: %q", line)
			}
			break
		}
	}

	tc, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addrs["imaps"], &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	tc.SetDeadline(time.Now().Add(10 * time.Second))
	expectLine(t, bufio.NewReader(tc), "* OK")
	if got := tc.ConnectionState().PeerCertificates[0].DNSNames; len(got) == 0 || got[0] != "localhost" {
		t.Errorf("certificate names %q, want the generated localhost one", got)
	}

	// LMTP on the unix socket: deliver to the first user.
	lc, err := net.DialTimeout("unix", filepath.Join(dir, "lmtp.sock"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer lc.Close()
	lc.SetDeadline(time.Now().Add(10 * time.Second))
	lr := bufio.NewReader(lc)
	expectLine(t, lr, "220 ")
	io.WriteString(lc, "LHLO x\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<petrel@example.org>\r\nDATA\r\n")
	for line := expectLine(t, lr, "250"); !strings.HasPrefix(line, "250 "); line = expectLine(t, lr, "250") {
	}
	expectLine(t, lr, "250 ")
	expectLine(t, lr, "250 ")
	expectLine(t, lr, "354 ")
	io.WriteString(lc, "Subject: hi\r\n\r\nhi\r\n.\r\n")
	expectLine(t, lr, "250 2.0.0 <petrel@example.org>")

	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Fatalf("serve exited with %d\nstderr: %s", code, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop after cancel")
	}
	if strings.Contains(stderr.String(), password) {
		t.Error("the log contains the password")
	}

	// A second start on the same directory creates no user.
	var out2 syncBuffer
	ctx2, cancel2 := context.WithCancel(context.Background())
	go func() {
		done <- run(ctx2, []string{"serve", "--data", dir, "--imap", "127.0.0.1:0", "--imaps", "", "--lmtp", ""}, strings.NewReader(""), &out2, io.Discard)
	}()
	time.Sleep(300 * time.Millisecond)
	cancel2()
	if code := <-done; code != exitOK {
		t.Fatalf("second serve exited with %d", code)
	}
	if out2.String() != "" {
		t.Errorf("second start printed %q", out2.String())
	}
}

func expectLine(t *testing.T, r *bufio.Reader, prefix string) string {
	t.Helper()
	line, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("read: %v (got %q)", err, line)
	}
	if !strings.HasPrefix(line, prefix) {
		t.Fatalf("got %q, want prefix %q", line, prefix)
	}
	return line
}

func TestServeListenError(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	r := runArgs(t, "", "serve", "--data", t.TempDir(), "--imap", l.Addr().String(), "--imaps", "", "--lmtp", "")
	if r.code != exitError || !strings.Contains(r.stderr, "address already in use") {
		t.Errorf("serve on a busy port: exit %d, stderr %q", r.code, r.stderr)
	}
}
