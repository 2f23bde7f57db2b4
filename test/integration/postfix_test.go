package integration

// End to end through a real MTA: sendmail → Postfix → LMTP → Petrel →
// IMAP. Each test runs a private Postfix instance (Debian's postfix
// package) from a temporary directory holding its own main.cf,
// master.cf, queue and data directories; the system's /etc/postfix and
// /var/spool/postfix are neither read nor written, and the instance
// binds no port (master.cf has no smtp inet service).
//
// Implementation notes:
//   - Postfix must run as root: the master daemon drops to the postfix
//     user for its children and the queue directories belong to postfix
//     and postdrop. CI runs as root; elsewhere the test skips.
//   - The test creates only the configuration and queue directories;
//     the start command's integrity check (postfix-script check-fatal)
//     creates the queue's subdirectories and the data directory with
//     Postfix's owners and modes.
//   - The instance is started with `postfix start-fg`, which keeps the
//     master daemon (master -s) in the foreground as a child of the test
//     rather than reparented to init: its children are reaped by the
//     master, the master by the test, even where PID 1 reaps no orphans
//     (as in some containers), and the test waits for its exit.
//   - Nothing leaves the machine: default_transport and relay_transport
//     are error:, so a bounce to any domain but example.org is dropped.
//   - maillog_file (Postfix ≥ 3.4, through the postlog service) holds
//     the instance's log; tests read it and print it on failure.

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// postfixTimeout bounds Postfix start-up, stop and each delivery wait.
const postfixTimeout = 30 * time.Second

// postfixInstance is a running private Postfix relaying example.org to
// an LMTP server.
type postfixInstance struct {
	conf      string // configuration directory, for -c and -C
	maillog   string // maillog_file
	sendmail  string // Postfix's sendmail
	postqueue string
	postfix   string
}

// requireRoot fails t in CI and skips it elsewhere unless the test runs
// as root.
func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	msg := "Postfix must run as root (its master daemon switches to the postfix user)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// postfixMainCF returns main.cf for an instance rooted at dir that hands
// example.org mail to the LMTP server at lmtpAddr (host:port).
func postfixMainCF(dir, lmtpAddr string) (string, error) {
	host, port, err := net.SplitHostPort(lmtpAddr)
	if err != nil {
		return "", err
	}
	if net.ParseIP(host) == nil {
		return "", fmt.Errorf("LMTP address %q: want a numeric host, so Postfix looks up no name", lmtpAddr)
	}
	lines := []string{
		"compatibility_level = 3.6",
		"queue_directory = " + filepath.Join(dir, "queue"),
		"data_directory = " + filepath.Join(dir, "data"),
		"maillog_file = " + filepath.Join(dir, "maillog"),
		"maillog_file_prefixes = " + dir,
		"myhostname = mta.postfix.test",
		"mydestination =",
		"inet_interfaces = loopback-only",
		"inet_protocols = ipv4",
		"alias_maps =",
		"alias_database =",
		"smtputf8_enable = no",
		"virtual_mailbox_domains = example.org",
		// Brackets: a literal address, no MX or A lookup.
		"virtual_transport = lmtp:inet:[" + host + "]:" + port,
		"default_transport = error:outbound mail is disabled in this test",
		"relay_transport = error:outbound mail is disabled in this test",
		// Retry soon after a 4xx, and keep no LMTP connection open past
		// the delivery.
		"queue_run_delay = 1s",
		"minimal_backoff_time = 1s",
		"maximal_backoff_time = 2s",
		"lmtp_connection_cache_on_demand = no",
	}
	return strings.Join(lines, "\n") + "\n", nil
}

// postfixMasterCF lists the services this instance needs, none chrooted
// (a chroot needs copies of /etc files in the queue directory) and no
// smtpd: mail enters through sendmail only.
const postfixMasterCF = `# service type  private unpriv  chroot  wakeup  maxproc command
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
`

// startPostfix configures and starts a private Postfix relaying
// example.org to lmtpAddr; it is stopped when t ends.
func startPostfix(t *testing.T, lmtpAddr string) *postfixInstance {
	t.Helper()
	requireRoot(t)
	pf := &postfixInstance{postfix: lookPath(t, "postfix")}
	out, err := exec.Command(filepath.Join(filepath.Dir(pf.postfix), "postconf"), "-d", "-h", "command_directory", "sendmail_path").Output()
	if err != nil {
		t.Fatalf("postconf: %v", err)
	}
	paths := strings.Fields(string(out))
	if len(paths) != 2 {
		t.Fatalf("postconf -d -h command_directory sendmail_path: %q", out)
	}
	pf.postqueue, pf.sendmail = filepath.Join(paths[0], "postqueue"), paths[1]

	// Postfix daemons run as the postfix user: every directory above the
	// queue must be searchable.
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	pf.conf, pf.maillog = filepath.Join(dir, "etc"), filepath.Join(dir, "maillog")
	mainCF, err := postfixMainCF(dir, lmtpAddr)
	if err != nil {
		t.Fatal(err)
	}
	// The queue directory belongs to root; start-fg's integrity check
	// creates the rest.
	for _, d := range []string{pf.conf, filepath.Join(dir, "queue")} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, text := range map[string]string{"main.cf": mainCF, "master.cf": postfixMasterCF} {
		if err := os.WriteFile(filepath.Join(pf.conf, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		if t.Failed() {
			out, _ := os.ReadFile(filepath.Join(dir, "master.out"))
			t.Logf("Postfix log %s:\n%s\npostfix start-fg output:\n%s", pf.maillog, pf.log(), out)
		}
	})
	masterOut, err := os.Create(filepath.Join(dir, "master.out"))
	if err != nil {
		t.Fatal(err)
	}
	defer masterOut.Close()
	cmd := exec.Command(pf.postfix, "-c", pf.conf, "start-fg")
	cmd.Stdout, cmd.Stderr = masterOut, masterOut
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		t.Fatalf("postfix start-fg: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	exited := false
	t.Cleanup(func() {
		if exited {
			return
		}
		if out, err := exec.Command(pf.postfix, "-c", pf.conf, "stop").CombinedOutput(); err != nil {
			t.Errorf("postfix -c %s stop: %v\n%s", pf.conf, err, out)
		}
		select {
		case <-done:
		case <-time.After(postfixTimeout):
			t.Errorf("the Postfix master did not exit within %v of postfix stop", postfixTimeout)
			pf.killMaster(t, dir)
			_ = cmd.Process.Kill()
			<-done
		}
	})
	if err := pf.waitRunning(done); err != nil {
		exited = errors.Is(err, errExited)
		b, _ := os.ReadFile(masterOut.Name())
		t.Fatalf("postfix start-fg: %v\n%s", err, b)
	}
	return pf
}

// waitRunning polls `postfix status` until the master daemon runs, the
// start-fg command ends, or postfixTimeout passes.
func (pf *postfixInstance) waitRunning(done <-chan error) error {
	deadline := time.Now().Add(postfixTimeout)
	for {
		select {
		case err := <-done:
			return fmt.Errorf("%w: %v", errExited, err)
		default:
		}
		if exec.Command(pf.postfix, "-c", pf.conf, "status").Run() == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the master daemon did not start within %v", postfixTimeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// killMaster sends SIGKILL to the master daemon named in its pid file,
// the last resort when postfix stop did not end it.
func (pf *postfixInstance) killMaster(t *testing.T, dir string) {
	b, err := os.ReadFile(filepath.Join(dir, "queue", "pid", "master.pid"))
	if err != nil {
		t.Logf("master pid file: %v", err)
		return
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 1 {
		t.Logf("master pid file holds %q", b)
		return
	}
	if p, err := os.FindProcess(pid); err == nil {
		_ = p.Kill()
	}
}

// log returns the instance's maillog_file.
func (pf *postfixInstance) log() string {
	b, err := os.ReadFile(pf.maillog)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// submit hands msg to Postfix's sendmail with envelope sender from and
// the given recipients, then asks the queue manager to deliver at once.
func (pf *postfixInstance) submit(t *testing.T, from string, msg string, to ...string) {
	t.Helper()
	cmd := exec.Command(pf.sendmail, append([]string{"-C", pf.conf, "-f", from, "--"}, to...)...)
	cmd.Stdin = strings.NewReader(msg)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sendmail -C %s -f %s %v: %v\n%s", pf.conf, from, to, err, out)
	}
	if out, err := exec.Command(pf.postqueue, "-c", pf.conf, "-f").CombinedOutput(); err != nil {
		t.Fatalf("postqueue -c %s -f: %v\n%s", pf.conf, err, out)
	}
}

// waitMessages polls user's INBOX in p over IMAP until it holds n
// messages and returns them. It fails t after postfixTimeout, or at once
// when the Postfix log shows a deferred delivery: Petrel answered 4xx or
// could not be reached.
func (pf *postfixInstance) waitMessages(t *testing.T, p *lmtpPetrel, user string, n int) []string {
	t.Helper()
	deadline := time.Now().Add(postfixTimeout)
	for {
		got := p.bodies(t, user, "INBOX")
		if len(got) >= n {
			if len(got) > n {
				t.Fatalf("%s's INBOX holds %d messages, want %d:\n%q", user, len(got), n, got)
			}
			return got
		}
		if strings.Contains(pf.log(), "status=deferred") {
			t.Fatalf("Postfix deferred a delivery; %s's INBOX holds %d messages, want %d", user, len(got), n)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s's INBOX holds %d messages after %v, want %d", user, len(got), postfixTimeout, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestPostfixMainCF(t *testing.T) {
	tests := []struct {
		addr, want string
		wantErr    bool
	}{
		{"127.0.0.1:2424", "virtual_transport = lmtp:inet:[127.0.0.1]:2424\n", false},
		{"[::1]:24", "virtual_transport = lmtp:inet:[::1]:24\n", false},
		{"localhost:24", "", true},
		{"127.0.0.1", "", true},
	}
	for _, tt := range tests {
		got, err := postfixMainCF("/tmp/x", tt.addr)
		if (err != nil) != tt.wantErr {
			t.Errorf("postfixMainCF(%q): error %v, want error %v", tt.addr, err, tt.wantErr)
			continue
		}
		if err == nil && !strings.Contains(got, tt.want) {
			t.Errorf("postfixMainCF(%q) lacks %q:\n%s", tt.addr, tt.want, got)
		}
	}
}

func TestPostfixToLMTP(t *testing.T) {
	p := startLMTPPetrel(t)
	start := time.Now()
	pf := startPostfix(t, p.LMTPAddr)
	t.Logf("Postfix started in %v", time.Since(start))

	// Lines starting with dots exercise dot-stuffing on Postfix's side
	// and its removal on Petrel's.
	msg := "From: Sender <sender@example.com>\n" +
		"To: alice@example.org, bob@example.org\n" +
		"Subject: through Postfix\n" +
		"Date: Thu, 26 Nov 2026 10:00:00 +0000\n" +
		"Message-ID: <postfix-e2e@example.com>\n" +
		"\n" +
		"Hello over LMTP.\n" +
		".a line with a leading dot\n" +
		"..and two\n"
	sent := time.Now()
	pf.submit(t, "sender@example.com", msg, "alice@example.org", "bob@example.org")
	for _, user := range []string{"alice", "bob"} {
		got := pf.waitMessages(t, p, user, 1)[0]
		// Petrel prepends Return-Path and Delivered-To (as Dovecot's
		// LMTP does) above Postfix's Received; the rest is as submitted.
		head := "Return-Path: <sender@example.com>\r\nDelivered-To: " + user + "@example.org\r\n" +
			"Received: by mta.postfix.test (Postfix, from userid 0)"
		if !strings.HasPrefix(got, head) || !strings.HasSuffix(got, "\r\n"+crlf(msg)) {
			t.Errorf("%s's message:\n%q\nwant prefix %q and suffix %q", user, got, head, crlf(msg))
		}
	}
	t.Logf("sendmail to IMAP for two recipients: %v", time.Since(sent))
	if log := pf.log(); !strings.Contains(log, "to=<alice@example.org>") ||
		!strings.Contains(log, "status=sent (250 2.0.0 <alice@example.org> Saved in INBOX") {
		t.Errorf("the Postfix log does not show the LMTP delivery to alice")
	}

	// One known and one unknown recipient in one LMTP transaction: bob
	// gets the message, Petrel answers 550 5.1.1 for bob2, and Postfix's
	// bounce goes back over LMTP to the sender, alice.
	sent = time.Now()
	pf.submit(t, "alice@example.org", "Subject: to bob2\n\nwho is not there\n", "bob2@example.org", "bob@example.org")
	got := pf.waitMessages(t, p, "bob", 2)[1]
	if want := "Return-Path: <alice@example.org>\r\nDelivered-To: bob@example.org\r\n"; !strings.HasPrefix(got, want) {
		t.Errorf("bob's second message:\n%q\nwant prefix %q", got, want)
	}
	bounce := pf.waitMessages(t, p, "alice", 2)[1]
	t.Logf("sendmail to a bounce in IMAP: %v", time.Since(sent))
	for _, want := range []string{
		"Return-Path: <>\r\nDelivered-To: alice@example.org\r\n", // RFC 5321 §4.5.5: the null sender
		"<MAILER-DAEMON@mta.postfix.test>",
		"report-type=delivery-status", // RFC 3464
		"<bob2@example.org>",
		"550 5.1.1",
		"Status: 5.1.1",
		"Subject: to bob2",
	} {
		if !strings.Contains(bounce, want) {
			t.Errorf("the bounce lacks %q:\n%s", want, bounce)
		}
	}
	log := pf.log()
	for _, want := range []string{
		"to=<bob2@example.org>, relay=127.0.0.1[127.0.0.1]",
		"dsn=5.1.1, status=bounced",
		"sender non-delivery notification",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("the Postfix log lacks %q", want)
		}
	}
	if strings.Contains(log, "status=deferred") {
		t.Errorf("Postfix deferred a delivery: Petrel answered 4xx")
	}
}
