package integration

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"

	"petrel.dev/petrel/test/dovecot"
)

// Server kinds accepted by startServer and the -target flag.
const (
	kindPetrel  = "petrel"
	kindDovecot = "dovecot"
)

// startTimeout bounds how long a server may take to accept connections.
const startTimeout = 20 * time.Second

// server is one running IMAP server under test, with one user.
type server struct {
	Kind    string
	Addr    string // host:port, plain IMAP with STARTTLS
	TLSAddr string // host:port, implicit TLS
	User    string
	Pass    string
}

// forEachTarget runs f as a parallel subtest named after each selected
// target kind (see the -target flag), each with a fresh server.
func forEachTarget(t *testing.T, f func(t *testing.T, s *server)) {
	t.Helper()
	for _, kind := range suite.targets {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			f(t, startServer(t, kind))
		})
	}
}

// startServer starts a fresh server of the given kind ("petrel" or
// "dovecot") with one user, stopped when t ends.
func startServer(t testing.TB, kind string) *server {
	t.Helper()
	switch kind {
	case kindPetrel:
		addr, tlsAddr, user, pass := startPetrel(t)
		return &server{Kind: kind, Addr: addr, TLSAddr: tlsAddr, User: user, Pass: pass}
	case kindDovecot:
		pass := randomPassword(t)
		d := dovecot.Start(t, map[string]string{"alice": pass})
		return &server{Kind: kind, Addr: d.Addr, TLSAddr: d.TLSAddr, User: "alice", Pass: pass}
	}
	t.Fatalf("unknown server kind %q", kind)
	return nil
}

// startPetrel runs the petrel binary built by TestMain with a fresh data
// directory and user "alice", listening on free ports of 127.0.0.1 for
// IMAP (addr) and IMAPS (tlsAddr). The server is stopped when t ends and
// its stderr is printed if t failed.
func startPetrel(t testing.TB) (addr, tlsAddr, user, pass string) {
	t.Helper()
	if suite.buildErr != nil {
		t.Fatalf("cannot test Petrel, building cmd/petrel failed: %v", suite.buildErr)
	}
	if suite.petrel == "" {
		t.Fatal("cannot test Petrel: the binary was not built (is petrel in -target?)")
	}
	dir := t.TempDir()
	user, pass = "alice", randomPassword(t)

	add := exec.Command(suite.petrel, "user", "add", "--data", dir, "--password-stdin", user)
	add.Env = petrelEnv()
	add.Stdin = strings.NewReader(pass + "\n")
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(add.Args, " "), err, out)
	}

	ports := freePorts(t, 2)
	addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0]))
	tlsAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[1]))
	stderr := &syncBuffer{}
	cmd := exec.Command(suite.petrel, "serve", "--data", dir, "--imap", addr, "--imaps", tlsAddr, "--lmtp", "")
	cmd.Env = petrelEnv()
	cmd.SysProcAttr = sysProcAttr()
	cmd.Stdout = stderr
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start petrel: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var exitErr error
	exited := false
	t.Cleanup(func() {
		if !exited {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case exitErr = <-done:
			case <-time.After(10 * time.Second):
				_ = cmd.Process.Kill()
				exitErr = <-done
				t.Errorf("petrel did not exit within 10s of SIGTERM")
			}
		}
		// A -race build reports races on stderr and exits with 66.
		if strings.Contains(stderr.String(), "WARNING: DATA RACE") {
			t.Errorf("the race detector found a data race in petrel serve")
		}
		if t.Failed() {
			t.Logf("petrel serve (exit: %v) output:\n%s", exitErr, stderr.String())
		}
	})
	for _, a := range []string{addr, tlsAddr} {
		if err := waitPort(a, done); err != nil {
			if err == errExited {
				exited = true
			}
			t.Fatalf("petrel serve: %v", err)
		}
	}
	return addr, tlsAddr, user, pass
}

// petrelEnv is the environment of petrel processes: the test's, and
// without the race detector's one-second pause at exit.
func petrelEnv() []string {
	return append(os.Environ(), "GORACE=atexit_sleep_ms=0")
}

// errExited is returned by waitPort when the process ended first.
var errExited = fmt.Errorf("process exited before accepting connections")

// waitPort polls addr until it accepts a TCP connection, the process
// reports on done, or startTimeout passes.
func waitPort(addr string, done <-chan error) error {
	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-done:
			return errExited
		default:
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not accept connections within %v: %v", addr, startTimeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// freePorts returns n distinct ports on 127.0.0.1 that were free a moment
// ago.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

func randomPassword(t testing.TB) string {
	t.Helper()
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "pw-" + hex.EncodeToString(b)
}

// syncBuffer is a bytes.Buffer safe for a writing process and a reading test.
type syncBuffer struct {
	mu  sync.Mutex // guards buf
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

// insecureTLS accepts the servers' self-signed certificates.
func insecureTLS() *tls.Config {
	return &tls.Config{InsecureSkipVerify: true, ServerName: "localhost"}
}

// client opens an imapclient connection to s (plain, no TLS) and logs in.
// opts may be nil. The connection is closed when t ends.
func (s *server) client(t testing.TB, opts *imapclient.Options) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(s.Addr, opts)
	if err != nil {
		t.Fatalf("dial %s: %v", s.Addr, err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(s.User, s.Pass).Wait(); err != nil {
		t.Fatalf("LOGIN: %v", err)
	}
	return c
}

// lookPath finds a program, failing t when CI=true and skipping otherwise
// when it is missing.
func lookPath(t testing.TB, names ...string) string {
	t.Helper()
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	msg := fmt.Sprintf("none of %v found in PATH; .ci/run installs them", names)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// repoPath returns the absolute path of a file of the repository.
func repoPath(t testing.TB, rel string) string {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, filepath.FromSlash(rel))
}
