package differential

import (
	"bytes"
	"crypto/rand"
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

	"petrel.dev/petrel/test/dovecot"
)

// startTimeout bounds how long Petrel may take to accept connections.
const startTimeout = 15 * time.Second

// target is one running server with one user.
type target struct {
	Name, Addr, User, Pass string
}

// startDovecot starts a private Dovecot with user "alice".
func startDovecot(t *testing.T) target {
	pass := randomPassword(t)
	d := dovecot.Start(t, map[string]string{"alice": pass})
	return target{Name: "dovecot", Addr: d.Addr, User: "alice", Pass: pass}
}

// buildPetrel runs `go build -o tmp/petrel-differential ./cmd/petrel` in
// the module root (with -race when this test binary has it) and returns
// the binary's path.
func buildPetrel(t *testing.T) string {
	root := moduleRoot(t)
	bin := filepath.Join(root, "tmp", "petrel-differential")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	args = append(args, "./cmd/petrel")
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return bin
}

// moduleRoot walks up from the working directory to go.mod.
func moduleRoot(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// startPetrel runs `petrel serve` on a fresh data directory with user
// "alice" and a plain IMAP listener only; it is stopped when t ends.
func startPetrel(t *testing.T, bin string) target {
	dir := t.TempDir()
	pass := randomPassword(t)
	env := append(os.Environ(), "GORACE=atexit_sleep_ms=0")
	add := exec.Command(bin, "user", "add", "--data", dir, "--password-stdin", "alice")
	add.Env = env
	add.Stdin = strings.NewReader(pass + "\n")
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("petrel user add: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	out := &syncBuffer{}
	cmd := exec.Command(bin, "serve", "--data", dir, "--imap", addr, "--imaps", "", "--lmtp", "")
	cmd.Env = env
	cmd.SysProcAttr = sysProcAttr()
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start petrel: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		var exitErr error
		select {
		case exitErr = <-done:
		default:
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case exitErr = <-done:
			case <-time.After(10 * time.Second):
				_ = cmd.Process.Kill()
				exitErr = <-done
			}
		}
		if strings.Contains(out.String(), "WARNING: DATA RACE") {
			t.Errorf("the race detector found a data race in petrel serve")
		}
		if t.Failed() {
			t.Logf("petrel serve (exit: %v) output:\n%s", exitErr, out.String())
		}
	})
	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case err := <-done:
			t.Fatalf("petrel serve exited: %v\n%s", err, out.String())
		default:
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("petrel did not accept connections on %s within %v", addr, startTimeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return target{Name: "petrel", Addr: addr, User: "alice", Pass: pass}
}

func randomPassword(t *testing.T) string {
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

// appendAll appends msgs to INBOX over c, every message with the flag
// \Seen and the same fixed INTERNALDATE, and selects INBOX. Messages go
// in MULTIAPPEND commands (RFC 3502) of appendBatch messages with
// LITERAL+ literals (RFC 7888), all pipelined.
func appendAll(c *client, msgs [][]byte) error {
	const appendBatch = 25
	var cmds [][]byte
	for i := 0; i < len(msgs); i += appendBatch {
		cmd := []byte("APPEND INBOX")
		for _, m := range msgs[i:min(i+appendBatch, len(msgs))] {
			cmd = fmt.Appendf(cmd, " (\\Seen) \"01-Jan-2020 00:00:00 +0000\" {%d+}\r\n", len(m))
			cmd = append(cmd, m...)
		}
		cmds = append(cmds, cmd)
	}
	rs, _, err := c.pipeline(cmds)
	if err != nil {
		return err
	}
	for j, r := range rs {
		if r.Status != "OK" {
			return fmt.Errorf("APPEND of messages %d…: %s %s", j*appendBatch+1, r.Status, r.Text)
		}
	}
	r, err := c.run([]byte("SELECT INBOX"))
	if err != nil {
		return err
	}
	if r.Status != "OK" {
		return fmt.Errorf("SELECT: %s %s", r.Status, r.Text)
	}
	for _, u := range r.Untagged {
		if n, ok := bytes.CutSuffix(u, []byte(" EXISTS\r\n")); ok {
			if got := string(n[2:]); got != strconv.Itoa(len(msgs)) {
				return fmt.Errorf("SELECT: %s messages, want %d", got, len(msgs))
			}
		}
	}
	return nil
}
