package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net"
	"strings"
	"sync"
	"testing"
)

// fakeIMAP is a scripted IMAP server for the noop scenario: it accepts
// any LOGIN, answers SELECT with 2 EXISTS, and answers NOOP with noop
// (after an untagged "* 3 EXISTS" on every other NOOP when updates is set).
type fakeIMAP struct {
	ln      net.Listener
	noop    string // status of NOOP answers: "OK" or "NO"
	updates bool
	wg      sync.WaitGroup
	mu      sync.Mutex
	conns   []net.Conn // guarded by mu
}

func startFakeIMAP(t *testing.T, noop string, updates bool) *fakeIMAP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeIMAP{ln: ln, noop: noop, updates: updates}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			f.mu.Lock()
			f.conns = append(f.conns, c)
			f.mu.Unlock()
			f.wg.Add(1)
			go func() {
				defer f.wg.Done()
				f.serve(c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		f.mu.Lock()
		for _, c := range f.conns {
			c.Close()
		}
		f.mu.Unlock()
		f.wg.Wait()
	})
	return f
}

func (f *fakeIMAP) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	w := bufio.NewWriter(c)
	w.WriteString("* OK [CAPABILITY IMAP4rev1] fake ready\r\n")
	w.Flush()
	noops := 0
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		tag, rest, _ := strings.Cut(strings.TrimRight(line, "\r\n"), " ")
		verb, _, _ := strings.Cut(rest, " ")
		switch strings.ToUpper(verb) {
		case "LOGIN":
			w.WriteString(tag + " OK logged in\r\n")
		case "SELECT":
			w.WriteString("* 2 EXISTS\r\n" + tag + " OK [READ-WRITE] selected\r\n")
		case "NOOP":
			if noops++; f.updates && noops%2 == 0 {
				w.WriteString("* 3 EXISTS\r\n")
			}
			w.WriteString(tag + " " + f.noop + " noop\r\n")
		case "LOGOUT":
			w.WriteString("* BYE bye\r\n" + tag + " OK logged out\r\n")
			w.Flush()
			return
		default:
			w.WriteString(tag + " BAD unknown\r\n")
		}
		if w.Flush() != nil {
			return
		}
	}
}

func runNoopAgainst(t *testing.T, f *fakeIMAP, duration string) (int, Result, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(context.Background(), []string{"--scenario", "noop", "--password", "p",
		"--target", f.ln.Addr().String(), "--duration", duration, "--clients", "2", "--users", "2", "--json"}, &out, &errOut)
	var res Result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("JSON line: %v: %q", err, out.String())
	}
	return code, res, errOut.String()
}

func commandResult(res Result, name string) (CommandResult, bool) {
	for _, c := range res.Commands {
		if c.Name == name {
			return c, true
		}
	}
	return CommandResult{}, false
}

func TestRunNoop(t *testing.T) {
	f := startFakeIMAP(t, "OK", true)
	code, res, stderr := runNoopAgainst(t, f, "300ms")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	noop, ok := commandResult(res, "NOOP")
	if !ok || noop.Ops < 10 || noop.Errors != 0 || noop.OpsPerSec <= 0 {
		t.Fatalf("NOOP result %+v in %+v", noop, res.Commands)
	}
	// Each client selects once: SELECT is not repeated per NOOP.
	if sel, ok := commandResult(res, "SELECT"); !ok || sel.Ops != 2 || sel.Errors != 0 {
		t.Errorf("SELECT result %+v", sel)
	}
	// Every second NOOP of a connection brings one EXISTS.
	if u := res.Extra["untagged_responses"]; u < float64(noop.Ops/2-2) || u > float64(noop.Ops) {
		t.Errorf("untagged_responses %v for %d NOOPs", u, noop.Ops)
	}
}

func TestRunNoopRefused(t *testing.T) {
	// Both clients give up after maxFailures refusals, which ends the
	// run long before the duration.
	f := startFakeIMAP(t, "NO", false)
	code, res, stderr := runNoopAgainst(t, f, "30s")
	if code != 1 || !strings.Contains(stderr, "gave up") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if noop, ok := commandResult(res, "NOOP"); !ok || noop.Errors < maxFailures {
		t.Errorf("NOOP result %+v", noop)
	}
}
