package integration

import (
	"bufio"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	_ "modernc.org/sqlite" // reads mail.db to check the store
)

// crashPetrel is a petrel serve this test kills and restarts by hand.
type crashPetrel struct {
	cmd            *exec.Cmd
	done           chan error
	out            *syncBuffer
	imapAddr, lmtp string
}

func startCrashPetrel(t *testing.T, dir string) *crashPetrel {
	t.Helper()
	ports := freePorts(t, 2)
	p := &crashPetrel{
		done:     make(chan error, 1),
		out:      &syncBuffer{},
		imapAddr: net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0])),
		lmtp:     net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[1])),
	}
	p.cmd = exec.Command(suite.petrel, "serve", "--data", dir, "--imap", p.imapAddr, "--imaps", "", "--lmtp", p.lmtp)
	p.cmd.Env = petrelEnv()
	p.cmd.SysProcAttr = sysProcAttr()
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("petrel output:\n%s", p.out.String())
		}
	})
	for _, a := range []string{p.imapAddr, p.lmtp} {
		if err := waitPort(a, p.done); err != nil {
			t.Fatalf("petrel serve: %v\n%s", err, p.out.String())
		}
	}
	return p
}

// TestLMTPCrash kills the server with SIGKILL in the middle of 1,000
// concurrent LMTP deliveries (issue: "every message that got a 250 is
// present exactly once and the store is consistent").
func TestLMTPCrash(t *testing.T) {
	if suite.petrel == "" {
		t.Fatalf("cannot test Petrel: the binary was not built (%v)", suite.buildErr)
	}
	dir := t.TempDir()
	add := exec.Command(suite.petrel, "user", "add", "--data", dir, "--password-stdin", "alice")
	add.Env = petrelEnv()
	add.Stdin = strings.NewReader("crash-pass\n")
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("user add: %v\n%s", err, out)
	}
	p := startCrashPetrel(t, dir)

	const total, workers = 1000, 20
	var next, acked atomic.Int64
	var mu sync.Mutex
	ok := map[int]bool{} // messages that got 250
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.DialTimeout("tcp", p.lmtp, 5*time.Second)
			if err != nil {
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(60 * time.Second))
			r := bufio.NewReader(c)
			reply := func() (string, error) {
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return "", err
					}
					if len(line) < 4 || line[3] != '-' {
						return line, nil
					}
				}
			}
			if _, err := reply(); err != nil { // greeting
				return
			}
			fmt.Fprintf(c, "LHLO crash\r\n")
			if _, err := reply(); err != nil {
				return
			}
			for {
				n := int(next.Add(1))
				if n > total {
					return
				}
				fmt.Fprintf(c, "MAIL FROM:<s@example.org>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\n")
				for range 3 {
					if _, err := reply(); err != nil {
						return
					}
				}
				fmt.Fprintf(c, "Message-ID: <%d@crash>\r\nSubject: crash %d\r\n\r\n%s\r\n.\r\n", n, n, strings.Repeat("body line\r\n", 50))
				line, err := reply()
				if err != nil {
					return
				}
				if strings.HasPrefix(line, "250") {
					mu.Lock()
					ok[n] = true
					mu.Unlock()
					acked.Add(1)
				}
			}
		}()
	}
	// Kill once a good part of the deliveries have been acknowledged.
	deadline := time.Now().Add(60 * time.Second)
	for acked.Load() < 300 && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
	}
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-p.done
	p.done <- nil // let Cleanup's receive succeed
	wg.Wait()
	mu.Lock()
	nAcked := len(ok)
	mu.Unlock()
	if nAcked < 300 || nAcked >= total {
		t.Fatalf("%d deliveries acknowledged before the kill; the test needs a kill in the middle", nAcked)
	}

	// Restart on the same data and check every acknowledged message.
	p2 := startCrashPetrel(t, dir)
	c, err := imapclient.DialInsecure(p2.imapAddr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login("alice", "crash-pass").Wait(); err != nil {
		t.Fatal(err)
	}
	sel := selectBox(t, c, "INBOX")
	seen := map[int]int{}
	if sel.NumMessages > 0 {
		sect := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, HeaderFields: []string{"Message-ID"}, Peek: true}
		var all imap.SeqSet
		all.AddRange(1, sel.NumMessages)
		for _, m := range fetchAll(t, c, all, &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{sect}}) {
			var n int
			if _, err := fmt.Sscanf(strings.TrimSpace(string(m.FindBodySection(sect))), "Message-ID: <%d@crash>", &n); err != nil {
				t.Fatalf("unexpected message header %q", m.FindBodySection(sect))
			}
			seen[n]++
		}
	}
	for n := range ok {
		if seen[n] != 1 {
			t.Errorf("acknowledged message %d is present %d times", n, seen[n])
		}
	}
	for n, k := range seen {
		if k != 1 {
			t.Errorf("message %d is present %d times", n, k)
		}
	}
	// The store is consistent: STATUS agrees with the messages, and every
	// message has exactly one files row and its content, inline in
	// mail.db or in a file (orphans of the crash were removed).
	st, err := c.Status("INBOX", &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if int(*st.NumMessages) != len(seen) || sel.NumMessages != uint32(len(seen)) {
		t.Errorf("STATUS says %d messages, SELECT %d, FETCH found %d", *st.NumMessages, sel.NumMessages, len(seen))
	}
	files, err := filepath.Glob(filepath.Join(dir, "accounts", "alice", "msg", "*", "*"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, "accounts", "alice", "mail.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rows, inline int
	if err := db.QueryRow(`SELECT (SELECT count(*) FROM files), (SELECT count(*) FROM contents)`).Scan(&rows, &inline); err != nil {
		t.Fatal(err)
	}
	if rows != len(seen) || len(files) != rows-inline {
		t.Errorf("%d files rows (%d inline) and %d message files for %d messages", rows, inline, len(files), len(seen))
	}
	if _, err := os.Stat(filepath.Join(dir, "accounts", "alice", "mail.db")); err != nil {
		t.Error(err)
	}
	t.Logf("%d of %d deliveries acknowledged before SIGKILL; %d messages after restart", nAcked, total, len(seen))
}
