package integration

// Two sessions on one mailbox: what one session changes, the other must
// learn from untagged responses, at the times RFC 9051 allows.

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// notifyTimeout is how long an idling session may wait for news of
// another session's change. The target is far lower (see TestClientIdle's
// log line); this bound only keeps a slow CI machine from failing.
const notifyTimeout = 2 * time.Second

func TestSessionsExistsOnNoop(t *testing.T) {
	forEachTarget(t, func(t *testing.T, s *server) {
		a, b := dialConn(t, s, "A"), dialConn(t, s, "B")
		a.login(s)
		b.login(s)
		a.cmd("SELECT INBOX")
		if r := b.cmd("SELECT INBOX"); !r.has(`\* 0 EXISTS`) {
			t.Fatalf("SELECT of an empty INBOX lacks * 0 EXISTS: %q", r.untagged)
		}
		a.appendMsg("INBOX", "", simpleMsg("one", "x"))
		// RFC 9051 §7.4.1 / §6.1.2: NOOP is the way to poll for updates.
		if r := b.cmd("NOOP"); !r.has(`\* 1 EXISTS`) {
			t.Errorf("B's NOOP after A's APPEND lacks * 1 EXISTS: %q", r.untagged)
		}
		a.appendMsg("INBOX", "", simpleMsg("two", "x"))
		a.appendMsg("INBOX", "", simpleMsg("three", "x"))
		// One EXISTS with the final count suffices; intermediate ones are
		// allowed.
		if r := b.cmd("NOOP"); !r.has(`\* 3 EXISTS`) {
			t.Errorf("B's NOOP after two more APPENDs lacks * 3 EXISTS: %q", r.untagged)
		}
		// A repeated EXISTS would be legal (RFC 9051 §7.4.1), a lower one not.
		if r := b.cmd("NOOP"); r.has(`\* [0-2] EXISTS`) {
			t.Errorf("B's NOOP announced fewer messages than exist: %q", r.untagged)
		}
	})
}

func TestSessionsIdle(t *testing.T) {
	forEachTarget(t, func(t *testing.T, s *server) {
		a, b := dialConn(t, s, "A"), dialConn(t, s, "B")
		a.login(s)
		b.login(s)
		a.cmd("SELECT INBOX")
		b.cmd("SELECT INBOX")

		// RFC 9051 §6.3.13 (RFC 2177): IDLE answers "+", then untagged
		// updates flow until DONE.
		tag := b.nextTag()
		b.send(tag + " IDLE")
		b.expect(`\+.*`)
		start := time.Now()
		a.appendMsg("INBOX", "", simpleMsg("one", "x"))
		b.waitFor(`\* 1 EXISTS`, notifyTimeout)
		t.Logf("%s: EXISTS in IDLE %v after APPEND started", s.Kind, time.Since(start))

		a.cmd(`STORE 1 +FLAGS (\Flagged)`)
		b.waitFor(`\* 1 FETCH \(.*FLAGS \([^)]*\\Flagged.*`, notifyTimeout)

		a.cmd(`STORE 1 +FLAGS.SILENT (\Deleted)`)
		a.cmd("EXPUNGE")
		// In IDLE no command is in progress, so EXPUNGE may be sent.
		b.waitFor(`\* 1 EXPUNGE`, notifyTimeout)

		b.send("DONE")
		r := b.readResult(tag)
		if r.status != "OK" {
			t.Fatalf("IDLE ended with %s %s", r.status, r.text)
		}
		b.cmd("NOOP")
		if r := b.cmd("SEARCH ALL"); !r.has(`\* SEARCH`) {
			t.Errorf("SEARCH ALL on the now empty mailbox: %q", r.untagged)
		}
	})
}

func TestSessionsFlagsOnNoop(t *testing.T) {
	forEachTarget(t, func(t *testing.T, s *server) {
		a, b := dialConn(t, s, "A"), dialConn(t, s, "B")
		a.login(s)
		b.login(s)
		a.appendMsg("INBOX", "", simpleMsg("one", "x"))
		a.appendMsg("INBOX", "", simpleMsg("two", "x"))
		a.cmd("SELECT INBOX")
		b.cmd("SELECT INBOX")

		a.cmd(`STORE 2 +FLAGS (\Seen $Label1)`)
		r := b.cmd("NOOP")
		if !r.has(`\* 2 FETCH \(.*FLAGS \([^)]*\\Seen[^)]*\).*`) || !r.has(`\* 2 FETCH \(.*FLAGS \([^)]*\$Label1[^)]*\).*`) {
			t.Errorf("B's NOOP after A's STORE lacks * 2 FETCH (FLAGS (\\Seen $Label1)): %q", r.untagged)
		}
		// A new keyword also widens FLAGS (RFC 9051 §7.3.5) — allowed, not
		// required, so not checked.

		a.cmd(`STORE 2 -FLAGS (\Seen)`)
		r = b.cmd("NOOP")
		if !r.has(`\* 2 FETCH \(.*FLAGS \([^)]*\).*`) || r.has(`\* 2 FETCH \(.*FLAGS \([^)]*\\Seen.*`) {
			t.Errorf("B's NOOP after A's -FLAGS lacks * 2 FETCH (FLAGS) without \\Seen: %q", r.untagged)
		}
	})
}

// RFC 9051 §7.5.1: "An EXPUNGE response MUST NOT be sent when no command
// is in progress, nor while responding to a FETCH, STORE, or SEARCH
// command." The rule keeps sequence numbers stable for a client that
// pipelines sequence-number commands; UID variants are exempt.
func TestSessionsExpungeTiming(t *testing.T) {
	forEachTarget(t, func(t *testing.T, s *server) {
		a, b := dialConn(t, s, "A"), dialConn(t, s, "B")
		a.login(s)
		b.login(s)
		for _, subj := range []string{"one", "two", "three"} {
			a.appendMsg("INBOX", "", simpleMsg(subj, "x"))
		}
		a.cmd("SELECT INBOX")
		b.cmd("SELECT INBOX")

		a.cmd(`STORE 2 +FLAGS.SILENT (\Deleted)`)
		if r := a.cmd("EXPUNGE"); !r.has(`\* 2 EXPUNGE`) {
			t.Fatalf("A's EXPUNGE lacks * 2 EXPUNGE: %q", r.untagged)
		}

		// B has not been told yet: its message 2 still exists in its view.
		expungeLine := regexp.MustCompile(`^\* \d+ EXPUNGE`)
		for _, c := range []string{"FETCH 1:3 (FLAGS)", `STORE 3 +FLAGS (\Seen)`, "SEARCH ALL", "FETCH 2 (UID)"} {
			r := b.run(c)
			// Fetching an expunged message may fail (RFC 2180 §4.1.2)
			// or answer from the old data (§4.1.1); it may not be BAD.
			if r.status == "BAD" {
				t.Errorf("B: %s: BAD %s", c, r.text)
			}
			for _, l := range r.untagged {
				if expungeLine.MatchString(l) {
					t.Errorf("B: %s carried %q; RFC 9051 §7.5.1 forbids EXPUNGE during FETCH, STORE and SEARCH", c, l)
				}
			}
			if c == "SEARCH ALL" && r.status == "OK" && !r.has(`\* SEARCH 1 2 3`) && !r.has(`\* SEARCH 1 3`) {
				t.Errorf("B: SEARCH ALL before the EXPUNGE was announced: %q", r.untagged)
			}
		}

		r := b.cmd("NOOP")
		if !r.has(`\* 2 EXPUNGE`) {
			t.Fatalf("B's NOOP lacks * 2 EXPUNGE: %q", r.untagged)
		}
		if r := b.cmd("SEARCH ALL"); !r.has(`\* SEARCH 1 2`) {
			t.Errorf("B: SEARCH ALL after the EXPUNGE: %q", r.untagged)
		}
		// B's STORE on its message 3 (now 2) took effect.
		if r := b.cmd("FETCH 2 (FLAGS)"); !r.has(`\* 2 FETCH \(.*FLAGS \([^)]*\\Seen[^)]*\).*`) {
			t.Errorf("B: FETCH 2 (FLAGS) after renumbering: %q", r.untagged)
		}
	})
}

func TestRawGreetingCapabilityEnable(t *testing.T) {
	forEachTarget(t, func(t *testing.T, s *server) {
		c := dialConn(t, s, "C")
		r := c.cmd("CAPABILITY")
		if !r.has(`\* CAPABILITY .*`) {
			t.Fatalf("no * CAPABILITY: %q", r.untagged)
		}
		caps := strings.Fields(strings.ToUpper(r.untagged[0]))
		if !contains(caps, "IMAP4REV2") && !contains(caps, "IMAP4REV1") {
			t.Errorf("CAPABILITY has neither IMAP4rev2 nor IMAP4rev1: %v", caps)
		}
		// RFC 9051 §6.2.1: STARTTLS is advertised before TLS is up.
		if !contains(caps, "STARTTLS") {
			t.Errorf("CAPABILITY on the plain port lacks STARTTLS: %v", caps)
		}
		if r := c.run("SELECT INBOX"); r.status == "OK" {
			t.Errorf("SELECT before LOGIN succeeded")
		}
		if r := c.run("FOO BAR"); r.status != "BAD" {
			t.Errorf("unknown command answered %s, want BAD", r.status)
		}
		if r := c.run(`LOGIN "alice" "not the password"`); r.status != "NO" {
			t.Errorf("LOGIN with a wrong password answered %s, want NO", r.status)
		}
		c.login(s)
		// RFC 5161 §3.1: unknown extensions are ignored; OK all the same.
		r = c.cmd("ENABLE X-PETREL-UNKNOWN")
		for _, l := range r.untagged {
			if strings.Contains(strings.ToUpper(l), "X-PETREL-UNKNOWN") {
				t.Errorf("ENABLE answered %q for an unknown extension", l)
			}
		}
		c.send("Z LOGOUT")
		c.expect(`\* BYE.*`)
		c.expect(`Z OK.*`)
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
