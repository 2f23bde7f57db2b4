package integration

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// lmtpPetrel is a running petrel serve with LMTP enabled, users alice
// (password Pass) and bob.
type lmtpPetrel struct {
	server
	LMTPAddr string
	Dir      string
	stderr   *syncBuffer
}

// startLMTPPetrel starts petrel serve on free ports with --lmtp, like
// startPetrel, and adds user bob. It is stopped when t ends.
func startLMTPPetrel(t *testing.T) *lmtpPetrel {
	t.Helper()
	if suite.buildErr != nil {
		t.Fatalf("cannot test Petrel, building cmd/petrel failed: %v", suite.buildErr)
	}
	if suite.petrel == "" {
		t.Fatal("cannot test Petrel: the binary was not built (is petrel in -target?)")
	}
	p := &lmtpPetrel{Dir: t.TempDir(), stderr: &syncBuffer{}}
	p.Kind, p.User, p.Pass = kindPetrel, "alice", randomPassword(t)
	for _, u := range []string{"alice", "bob"} {
		add := exec.Command(suite.petrel, "user", "add", "--data", p.Dir, "--password-stdin", u)
		add.Env = petrelEnv()
		add.Stdin = strings.NewReader(p.Pass + "\n")
		if out, err := add.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(add.Args, " "), err, out)
		}
	}
	ports := freePorts(t, 2)
	p.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0]))
	p.LMTPAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[1]))
	cmd := exec.Command(suite.petrel, "serve", "--data", p.Dir, "--imap", p.Addr, "--imaps", "", "--lmtp", p.LMTPAddr)
	cmd.Env = petrelEnv()
	cmd.SysProcAttr = sysProcAttr()
	cmd.Stdout, cmd.Stderr = p.stderr, p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start petrel: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	exited := false
	t.Cleanup(func() {
		var exitErr error
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
		if strings.Contains(p.stderr.String(), "WARNING: DATA RACE") {
			t.Errorf("the race detector found a data race in petrel serve")
		}
		if t.Failed() {
			t.Logf("petrel serve (exit: %v) output:\n%s", exitErr, p.stderr.String())
		}
	})
	for _, a := range []string{p.Addr, p.LMTPAddr} {
		if err := waitPort(a, done); err != nil {
			exited = errors.Is(err, errExited)
			t.Fatalf("petrel serve: %v", err)
		}
	}
	return p
}

// swaks runs swaks over LMTP against p with extra arguments and returns
// its transcript; it fails t when swaks exits non-zero unless mayFail.
func (p *lmtpPetrel) swaks(t *testing.T, mayFail bool, args ...string) string {
	t.Helper()
	bin := lookPath(t, "swaks")
	host, port, _ := net.SplitHostPort(p.LMTPAddr)
	cmd := exec.Command(bin, append([]string{"--protocol", "LMTP", "--server", host, "--port", port,
		"--helo", "mta.example.org", "--from", "sender@example.com", "--timeout", "60"}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil && !mayFail {
		t.Fatalf("swaks %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// writeMsg writes msg to a file for swaks --data @FILE.
func writeMsg(t *testing.T, msg string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "msg.eml")
	if err := os.WriteFile(f, []byte(msg), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// login opens an IMAP session as user.
func (p *lmtpPetrel) login(t *testing.T, user string, opts *imapclient.Options) *imapclient.Client {
	t.Helper()
	s := p.server
	s.User = user
	return s.client(t, opts)
}

// bodies returns the full text of every message in user's mailbox.
func (p *lmtpPetrel) bodies(t *testing.T, user, mailbox string) []string {
	t.Helper()
	c := p.login(t, user, nil)
	defer c.Close()
	sel := selectBox(t, c, mailbox)
	if sel.NumMessages == 0 {
		return nil
	}
	sect := &imap.FetchItemBodySection{Peek: true}
	var all imap.SeqSet
	all.AddRange(1, sel.NumMessages)
	msgs := fetchAll(t, c, all, &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{sect}})
	var out []string
	for _, m := range msgs {
		out = append(out, string(m.FindBodySection(sect)))
	}
	return out
}

func TestLMTPSwaksRecipients(t *testing.T) {
	p := startLMTPPetrel(t)
	// 8-bit header and body (RFC 6152) and a +detail for a mailbox that
	// exists (Sent) and one that does not.
	msg := "Subject: caf\xc3\xa9\r\nFrom: sender@example.com\r\n\r\nna\xefve 8-bit body\r\n..leading dot\r\n"
	out := p.swaks(t, false, "--pipeline", "--to", "alice@example.org,nobody@example.org,bob+Sent@example.org,bob+nosuch@example.org",
		"--data", "@"+writeMsg(t, msg))
	for _, want := range []string{"PIPELINING", "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES", "SIZE"} {
		if !strings.Contains(out, "250-"+want) && !strings.Contains(out, "250 "+want) {
			t.Errorf("LHLO lacks %s:\n%s", want, out)
		}
	}
	if !strings.Contains(out, "550 5.1.1") {
		t.Errorf("no 550 5.1.1 for the unknown recipient:\n%s", out)
	}
	for _, rcpt := range []string{"<alice@example.org> Saved in INBOX", "<bob+Sent@example.org> Saved in Sent", "<bob+nosuch@example.org> Saved in INBOX"} {
		if !strings.Contains(out, "250 2.0.0 "+rcpt) {
			t.Errorf("no 250 for %s:\n%s", rcpt, out)
		}
	}
	// swaks dot-stuffs the file and ends DATA with a CRLF of its own
	// before the final dot: that CRLF is part of the message.
	stored := msg + "\r\n"
	check := func(user, mailbox, rcpt string) {
		t.Helper()
		got := p.bodies(t, user, mailbox)
		want := "Return-Path: <sender@example.com>\r\nDelivered-To: " + rcpt + "\r\n" + stored
		if len(got) != 1 || got[0] != want {
			t.Errorf("%s/%s = %q\nwant [%q]", user, mailbox, got, want)
		}
	}
	check("alice", "INBOX", "alice@example.org")
	check("bob", "Sent", "bob+Sent@example.org")
	check("bob", "INBOX", "bob+nosuch@example.org")
}

// TestLMTPSwaksBareRecipient delivers to recipients without a domain
// ("alice", RFC 5321 §4.1.1.3's "<Postmaster>" form), as an MTA's local
// transport does, with swaks.
func TestLMTPSwaksBareRecipient(t *testing.T) {
	p := startLMTPPetrel(t)
	msg := "Subject: bare\r\n\r\nhello\r\n"
	out := p.swaks(t, false, "--pipeline", "--to", "alice,nobody,bob+Sent", "--data", "@"+writeMsg(t, msg))
	if !strings.Contains(out, "550 5.1.1") {
		t.Errorf("no 550 5.1.1 for the unknown recipient:\n%s", out)
	}
	for _, rcpt := range []string{"<alice> Saved in INBOX", "<bob+Sent> Saved in Sent"} {
		if !strings.Contains(out, "250 2.0.0 "+rcpt) {
			t.Errorf("no 250 for %s:\n%s", rcpt, out)
		}
	}
	for _, c := range []struct{ user, mailbox, rcpt string }{{"alice", "INBOX", "alice"}, {"bob", "Sent", "bob+Sent"}} {
		got := p.bodies(t, c.user, c.mailbox)
		want := "Return-Path: <sender@example.com>\r\nDelivered-To: " + c.rcpt + "\r\n" + msg + "\r\n"
		if len(got) != 1 || got[0] != want {
			t.Errorf("%s/%s = %q\nwant [%q]", c.user, c.mailbox, got, want)
		}
	}
}

// rawLMTP is a scripted LMTP client where the bytes matter.
type rawLMTP struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func dialLMTP(t *testing.T, addr string) *rawLMTP {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(60 * time.Second))
	l := &rawLMTP{t: t, c: c, r: bufio.NewReader(c)}
	l.expect("220 ")
	return l
}

func (l *rawLMTP) send(s string) {
	l.t.Helper()
	if _, err := io.WriteString(l.c, s); err != nil {
		l.t.Fatal(err)
	}
}

// expect reads one reply, skipping continuation lines, and checks its
// last line's prefix.
func (l *rawLMTP) expect(prefix string) string {
	l.t.Helper()
	for {
		line, err := l.r.ReadString('\n')
		if err != nil {
			l.t.Fatalf("read: %v (want %q)", err, prefix)
		}
		if len(line) >= 4 && line[3] == '-' {
			continue
		}
		if !strings.HasPrefix(line, prefix) {
			l.t.Fatalf("S: %q, want %q", line, prefix)
		}
		return strings.TrimSpace(line)
	}
}

func TestLMTPSMTPUTF8(t *testing.T) {
	p := startLMTPPetrel(t)
	l := dialLMTP(t, p.LMTPAddr)
	// RFC 6531: an internationalised sender, announced with SMTPUTF8.
	body := "From: Jürgen <jürgen@bücher.example>\r\nSubject: Grüße ✉\r\n\r\nHallo 世界\r\n"
	l.send("LHLO mta.example.org\r\nMAIL FROM:<jürgen@bücher.example> SMTPUTF8 BODY=8BITMIME\r\nRCPT TO:<alice@example.org>\r\nDATA\r\n")
	l.expect("250 ")
	l.expect("250 ")
	l.expect("250 ")
	l.expect("354 ")
	l.send(body + ".\r\n")
	l.expect("250 2.0.0 <alice@example.org>")
	got := p.bodies(t, "alice", "INBOX")
	want := "Return-Path: <jürgen@bücher.example>\r\nDelivered-To: alice@example.org\r\n" + body
	if len(got) != 1 || got[0] != want {
		t.Errorf("stored %q\nwant %q", got, want)
	}
}

func TestLMTPPipelinedTransactions(t *testing.T) {
	p := startLMTPPetrel(t)
	l := dialLMTP(t, p.LMTPAddr)
	// Two whole transactions in one write (RFC 2920 §3.1), the second
	// after RSET; every reply must come back in order.
	var script bytes.Buffer
	script.WriteString("LHLO x\r\n")
	for i := range 2 {
		fmt.Fprintf(&script, "MAIL FROM:<s%d@example.com>\r\nRCPT TO:<alice@example.org>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n", i)
		fmt.Fprintf(&script, "Subject: %d\r\n\r\nbody %d\r\n.\r\nRSET\r\n", i, i)
	}
	script.WriteString("QUIT\r\n")
	l.send(script.String())
	l.expect("250 ") // LHLO
	for range 2 {
		l.expect("250 ") // MAIL
		l.expect("250 ")
		l.expect("250 ")
		l.expect("354 ")
		l.expect("250 2.0.0 <alice@example.org>")
		l.expect("250 2.0.0 <bob@example.org>")
		l.expect("250 ") // RSET
	}
	l.expect("221 ")
	for _, u := range []string{"alice", "bob"} {
		if got := p.bodies(t, u, "INBOX"); len(got) != 2 || !strings.Contains(got[1], "Return-Path: <s1@example.com>") {
			t.Errorf("%s: %q", u, got)
		}
	}
}

func TestLMTPLargeMessage(t *testing.T) {
	p := startLMTPPetrel(t)
	// 30 MB of 76-character lines.
	var b strings.Builder
	b.WriteString("Subject: large\r\n\r\n")
	line := strings.Repeat("0123456789abcdefghij", 4)[:76] + "\r\n"
	for b.Len() < 30<<20 {
		b.WriteString(line)
	}
	msg := b.String()
	start := time.Now()
	out := p.swaks(t, false, "--to", "alice@example.org", "--data", "@"+writeMsg(t, msg), "--suppress-data")
	elapsed := time.Since(start)
	if !strings.Contains(out, "250 2.0.0 <alice@example.org> Saved in INBOX") {
		t.Fatalf("30 MB delivery:\n%s", out)
	}
	t.Logf("30 MB LMTP delivery with swaks: %v", elapsed)
	c := p.login(t, "alice", nil)
	sel := selectBox(t, c, "INBOX")
	if sel.NumMessages != 1 {
		t.Fatalf("INBOX has %d messages", sel.NumMessages)
	}
	msgs := fetchAll(t, c, imap.SeqSetNum(1), &imap.FetchOptions{RFC822Size: true})
	hdr := "Return-Path: <sender@example.com>\r\nDelivered-To: alice@example.org\r\n"
	if want := int64(len(hdr) + len(msg) + len("\r\n")); msgs[0].RFC822Size != want {
		t.Errorf("RFC822.SIZE %d, want %d", msgs[0].RFC822Size, want)
	}
}

func TestLMTPInterruptedDelivery(t *testing.T) {
	p := startLMTPPetrel(t)
	l := dialLMTP(t, p.LMTPAddr)
	l.send("LHLO x\r\nMAIL FROM:<s@example.com>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\n")
	l.expect("250 ")
	l.expect("250 ")
	l.expect("250 ")
	l.expect("354 ")
	l.send("Subject: cut short\r\n\r\n" + strings.Repeat("x", 1<<20))
	l.c.Close()
	// A complete delivery afterwards on a new connection proves the
	// server went on, and orders the check after the cut one's cleanup.
	time.Sleep(200 * time.Millisecond)
	p.swaks(t, false, "--to", "bob@example.org")
	if got := p.bodies(t, "alice", "INBOX"); len(got) != 0 {
		t.Errorf("alice has %d messages after an interrupted DATA", len(got))
	}
	// Nothing leaked: the spool is empty and no message file is left
	// without a row.
	ents, err := os.ReadDir(filepath.Join(p.Dir, "spool"))
	if err != nil || len(ents) != 0 {
		t.Errorf("spool: %v, %d entries", err, len(ents))
	}
	var files []string
	filepath.WalkDir(filepath.Join(p.Dir, "accounts", "alice", "msg"), func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, path)
		}
		return nil
	})
	if len(files) != 0 {
		t.Errorf("alice's message directory holds %v", files)
	}
}

// idler logs in as alice, selects INBOX and enters IDLE; the returned
// channel receives the EXISTS counts.
func (p *lmtpPetrel) idler(t *testing.T) (<-chan uint32, *imapclient.IdleCommand) {
	t.Helper()
	exists := make(chan uint32, 16)
	c := p.login(t, "alice", &imapclient.Options{UnilateralDataHandler: &imapclient.UnilateralDataHandler{
		Mailbox: func(d *imapclient.UnilateralDataMailbox) {
			if d.NumMessages != nil {
				select {
				case exists <- *d.NumMessages:
				default:
				}
			}
		},
	}})
	selectBox(t, c, "INBOX")
	idle, err := c.Idle()
	if err != nil {
		t.Fatalf("IDLE: %v", err)
	}
	t.Cleanup(func() { idle.Close() })
	time.Sleep(100 * time.Millisecond) // let the server enter IDLE
	return exists, idle
}

func TestLMTPIdleSeesDelivery(t *testing.T) {
	p := startLMTPPetrel(t)
	exists, _ := p.idler(t)
	l := dialLMTP(t, p.LMTPAddr)
	l.send("LHLO x\r\nMAIL FROM:<s@example.com>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\n")
	for range 3 {
		l.expect("250 ")
	}
	l.expect("354 ")
	start := time.Now()
	l.send("Subject: ping\r\n\r\nping\r\n.\r\n")
	l.expect("250 2.0.0 <alice@example.org>")
	t.Logf("one-recipient LMTP delivery (end of DATA to 250): %v", time.Since(start))
	select {
	case n := <-exists:
		if n != 1 {
			t.Errorf("* %d EXISTS, want 1", n)
		}
		t.Logf("EXISTS reached the IDLE session %v after the end of DATA", time.Since(start))
	case <-time.After(2 * time.Second):
		t.Fatal("no EXISTS within 2s of an LMTP delivery")
	}
}

// deliverCmd runs petrel deliver with stdin msg and returns its exit code
// and stderr.
func (p *lmtpPetrel) deliverCmd(t *testing.T, msg string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(suite.petrel, append([]string{"deliver", "--data", p.Dir}, args...)...)
	cmd.Env = petrelEnv()
	cmd.Stdin = strings.NewReader(msg)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, stderr.String()
	case errors.As(err, &ee):
		return ee.ExitCode(), stderr.String()
	}
	t.Fatalf("petrel deliver: %v", err)
	return -1, ""
}

func TestDeliverCommand(t *testing.T) {
	p := startLMTPPetrel(t)
	exists, _ := p.idler(t)

	// Delivered by another process while the server runs: the IDLE
	// session hears of it through the store's change detection.
	start := time.Now()
	if code, stderr := p.deliverCmd(t, "Subject: local\n\nfrom procmail land\n", "-f", "bounce@example.com", "alice"); code != 0 {
		t.Fatalf("deliver: exit %d: %s", code, stderr)
	}
	delivered := time.Since(start)
	select {
	case n := <-exists:
		if n != 1 {
			t.Errorf("* %d EXISTS, want 1", n)
		}
		t.Logf("petrel deliver took %v; EXISTS reached the IDLE session %v after it started", delivered, time.Since(start))
	case <-time.After(2 * time.Second):
		t.Fatal("no EXISTS within 2s of a delivery by another process")
	}

	if code, stderr := p.deliverCmd(t, "Subject: x\n\nx\n", "nobody"); code != 67 || strings.Count(stderr, "\n") != 1 {
		t.Errorf("unknown user: exit %d, stderr %q; want 67 and one line", code, stderr)
	}
	// Break bob's message directory: storage of a message too large to
	// be kept in mail.db (over 64 KiB) fails, the MTA must retry.
	msgDir := filepath.Join(p.Dir, "accounts", "bob", "msg")
	if err := os.RemoveAll(msgDir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(msgDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, stderr := p.deliverCmd(t, "Subject: x\n\n"+strings.Repeat("x", 70<<10)+"\n", "bob"); code != 75 || strings.Count(stderr, "\n") != 1 {
		t.Errorf("storage failure: exit %d, stderr %q; want 75 and one line", code, stderr)
	}
	got := p.bodies(t, "alice", "INBOX")
	want := "Return-Path: <bounce@example.com>\r\nDelivered-To: alice\r\nSubject: local\r\n\r\nfrom procmail land\r\n"
	if len(got) != 1 || got[0] != want {
		t.Errorf("alice's INBOX = %q\nwant [%q]", got, want)
	}
}
