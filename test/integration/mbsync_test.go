package integration

// mbsync (isync) keeps a local maildir in two-way sync with an IMAP
// account: a demanding client that relies on UIDs, UIDVALIDITY, flags and
// expunges being exactly right.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

func TestMbsync(t *testing.T) {
	mbsync := lookPath(t, "mbsync")
	forEachTarget(t, func(t *testing.T, s *server) {
		c := s.client(t, nil)
		boxes := mailboxNames(t, c)
		delim := string(boxes["INBOX"].Delim)
		sub := "Lists" + delim + "Go"
		if err := c.Create(sub, nil).Wait(); err != nil {
			t.Fatalf("CREATE %s: %v", sub, err)
		}
		appendMsg(t, c, "INBOX", simpleMsg("server one", "1"), []imap.Flag{imap.FlagSeen}, time.Time{})
		appendMsg(t, c, "INBOX", simpleMsg("server two", "2"), nil, time.Time{})
		appendMsg(t, c, "INBOX", simpleMsg("server three", "3"), nil, time.Time{})
		appendMsg(t, c, sub, simpleMsg("list post", "4"), nil, time.Time{})

		dir := t.TempDir()
		near := filepath.Join(dir, "mail")
		if err := os.Mkdir(near, 0o700); err != nil {
			t.Fatal(err)
		}
		rc := filepath.Join(dir, "mbsyncrc")
		if err := os.WriteFile(rc, []byte(mbsyncConfig(t, mbsync, s, near)), 0o600); err != nil {
			t.Fatal(err)
		}
		run := func(step string) {
			t.Helper()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			out, err := exec.CommandContext(ctx, mbsync, "-V", "-c", rc, "-a").CombinedOutput()
			t.Logf("mbsync -V -c %s -a (%s):\n%s", rc, step, out)
			if err != nil {
				t.Fatalf("mbsync (%s): %v\n%s", step, err, out)
			}
		}

		// 1. Server → local.
		run("initial")
		inbox := readMaildir(t, filepath.Join(near, "INBOX"))
		wantMaildir(t, "after the first sync, INBOX", inbox, map[string]string{
			"server one": "S", "server two": "", "server three": "",
		})
		wantMaildir(t, "after the first sync, "+sub, readMaildir(t, filepath.Join(near, "Lists", "Go")),
			map[string]string{"list post": ""})

		// 2. Local → server: a new message, a flag change, a deletion.
		newFile := filepath.Join(near, "INBOX", "new", fmt.Sprintf("%d.local1.petrel-test", time.Now().Unix()))
		if err := os.WriteFile(newFile, []byte(simpleMsg("local new", "5")), 0o600); err != nil {
			t.Fatal(err)
		}
		inbox["server two"].setFlags(t, "FS")
		if err := os.Remove(inbox["server three"].path); err != nil {
			t.Fatal(err)
		}
		run("local changes")
		got := serverMailbox(t, c, "INBOX")
		wantServer(t, "INBOX after pushing local changes", got, map[string][]imap.Flag{
			"server one": {imap.FlagSeen},
			"server two": {imap.FlagSeen, imap.FlagFlagged},
			"local new":  nil,
		})

		// 3. Server → local again: flag change, new message, expunge.
		selectBox(t, c, "INBOX")
		seqOf := map[string]uint32{}
		msgs := fetchAll(t, c, imap.SeqSetNum(1, 2, 3), &imap.FetchOptions{Envelope: true})
		for _, m := range msgs {
			seqOf[m.Envelope.Subject] = m.SeqNum
		}
		if err := c.Store(imap.SeqSetNum(seqOf["server one"]), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagAnswered}}, nil).Close(); err != nil {
			t.Fatalf("STORE: %v", err)
		}
		if err := c.Store(imap.SeqSetNum(seqOf["local new"]), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
			t.Fatalf("STORE: %v", err)
		}
		if err := c.Expunge().Close(); err != nil {
			t.Fatalf("EXPUNGE: %v", err)
		}
		appendMsg(t, c, sub, simpleMsg("second post", "6"), []imap.Flag{imap.FlagFlagged}, time.Time{})
		run("server changes")
		wantMaildir(t, "after pulling server changes, INBOX", readMaildir(t, filepath.Join(near, "INBOX")), map[string]string{
			"server one": "RS", "server two": "FS",
		})
		wantMaildir(t, "after pulling server changes, "+sub, readMaildir(t, filepath.Join(near, "Lists", "Go")),
			map[string]string{"list post": "", "second post": "F"})

		// 4. A further sync with no changes changes nothing.
		run("idempotent")
		got = serverMailbox(t, c, "INBOX")
		wantServer(t, "INBOX after a no-op sync", got, map[string][]imap.Flag{
			"server one": {imap.FlagSeen, imap.FlagAnswered},
			"server two": {imap.FlagSeen, imap.FlagFlagged},
		})
	})
}

var isyncVersion = regexp.MustCompile(`isync (\d+)\.(\d+)`)

// mbsyncConfig writes the configuration: plain IMAP on the test port
// (no TLS, so LOGIN over the clear loopback is allowed) and a maildir
// with verbatim subfolders.
func mbsyncConfig(t *testing.T, mbsync string, s *server, near string) string {
	t.Helper()
	// isync 1.5 renamed SSLType to TLSType.
	tlsKey := "SSLType"
	out, err := exec.Command(mbsync, "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("mbsync --version: %v\n%s", err, out)
	}
	if m := isyncVersion.FindStringSubmatch(string(out)); m != nil {
		major, _ := strconv.Atoi(m[1])
		minor, _ := strconv.Atoi(m[2])
		if major > 1 || major == 1 && minor >= 5 {
			tlsKey = "TLSType"
		}
	}
	host, port, _ := strings.Cut(s.Addr, ":")
	return fmt.Sprintf(`IMAPAccount far
Host %s
Port %s
User %s
Pass %s
%s None
AuthMechs LOGIN PLAIN

IMAPStore far
Account far

MaildirStore near
Path %s/
Inbox %s/INBOX
SubFolders Verbatim

Channel sync
Far :far:
Near :near:
Patterns *
Create Both
Expunge Both
SyncState *
`, host, port, s.User, s.Pass, tlsKey, near, near)
}

// maildirMsg is one message file of a maildir.
type maildirMsg struct {
	path  string
	flags string // the maildir info flags after ":2,", sorted
}

// setFlags renames the file into cur/ with the given maildir flags.
func (m *maildirMsg) setFlags(t *testing.T, flags string) {
	t.Helper()
	base := filepath.Base(m.path)
	if i := strings.Index(base, ":2,"); i >= 0 {
		base = base[:i]
	}
	np := filepath.Join(filepath.Dir(filepath.Dir(m.path)), "cur", base+":2,"+flags)
	if err := os.Rename(m.path, np); err != nil {
		t.Fatal(err)
	}
	m.path, m.flags = np, flags
}

var subjectLine = regexp.MustCompile(`(?m)^Subject: (.*?)\r?$`)

// readMaildir returns the messages of a maildir by subject.
func readMaildir(t *testing.T, dir string) map[string]*maildirMsg {
	t.Helper()
	out := map[string]*maildirMsg{}
	for _, d := range []string{"new", "cur"} {
		ents, err := os.ReadDir(filepath.Join(dir, d))
		if err != nil {
			t.Fatalf("maildir %s: %v", dir, err)
		}
		for _, e := range ents {
			p := filepath.Join(dir, d, e.Name())
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			m := subjectLine.FindSubmatch(b)
			if m == nil {
				t.Fatalf("%s has no Subject", p)
			}
			flags := ""
			if _, f, ok := strings.Cut(e.Name(), ":2,"); ok {
				flags = f
			}
			out[string(m[1])] = &maildirMsg{path: p, flags: flags}
		}
	}
	return out
}

func wantMaildir(t *testing.T, what string, got map[string]*maildirMsg, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d messages %v, want %d %v", what, len(got), keys(got), len(want), keys(want))
	}
	for subj, flags := range want {
		m, ok := got[subj]
		if !ok {
			t.Errorf("%s: %q missing", what, subj)
			continue
		}
		if m.flags != flags {
			t.Errorf("%s: %q has maildir flags %q, want %q", what, subj, m.flags, flags)
		}
	}
}

// serverMailbox returns the flags of every message in mailbox by subject.
func serverMailbox(t *testing.T, c *imapclient.Client, mailbox string) map[string][]imap.Flag {
	t.Helper()
	sel := selectBox(t, c, mailbox)
	out := map[string][]imap.Flag{}
	if sel.NumMessages == 0 {
		return out
	}
	var set imap.SeqSet
	set.AddRange(1, sel.NumMessages)
	for _, m := range fetchAll(t, c, set, &imap.FetchOptions{Envelope: true, Flags: true}) {
		out[m.Envelope.Subject] = m.Flags
	}
	return out
}

func wantServer(t *testing.T, what string, got map[string][]imap.Flag, want map[string][]imap.Flag) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d messages %v, want %d %v", what, len(got), keys(got), len(want), keys(want))
	}
	for subj, flags := range want {
		g, ok := got[subj]
		if !ok {
			t.Errorf("%s: %q missing", what, subj)
			continue
		}
		var real []imap.Flag // \Recent is rev1 session state
		for _, f := range g {
			if !strings.EqualFold(string(f), `\Recent`) {
				real = append(real, f)
			}
		}
		if len(real) != len(flags) {
			t.Errorf("%s: %q has flags %v, want %v", what, subj, real, flags)
			continue
		}
		for _, f := range flags {
			if !hasFlag(real, f) {
				t.Errorf("%s: %q has flags %v, want %v", what, subj, real, flags)
			}
		}
	}
}
