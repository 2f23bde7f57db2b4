package imapserver

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// selectInfo runs a SELECT-like command and returns its lines, its
// UIDVALIDITY and its HIGHESTMODSEQ.
func selectInfo(t *testing.T, c *tconn, tag, cmd string) (lines []string, uidValidity string, highest uint64) {
	t.Helper()
	lines = c.mustOK(tag, cmd)
	for _, l := range lines {
		if m := regexp.MustCompile(`^\* OK \[UIDVALIDITY (\d+)\]`).FindStringSubmatch(l); m != nil {
			uidValidity = m[1]
		}
		if m := regexp.MustCompile(`^\* OK \[HIGHESTMODSEQ (\d+)\]`).FindStringSubmatch(l); m != nil {
			highest, _ = strconv.ParseUint(m[1], 10, 64)
		}
	}
	return lines, uidValidity, highest
}

// TestQresync follows RFC 7162 §3.2 and its examples.
func TestQresync(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t, testUser)
	for i := range 5 {
		c.appendMsg("a", "INBOX", "()", testMessage("m"+strconv.Itoa(i), "x"))
	}
	c.send("e1 ENABLE QRESYNC")
	c.expect("* ENABLED QRESYNC", "e1 OK ENABLE completed")
	_, uv, h0 := selectInfo(t, c, "s1", "SELECT INBOX")
	if uv == "" || h0 == 0 {
		t.Fatal("SELECT after ENABLE QRESYNC lacks UIDVALIDITY or HIGHESTMODSEQ")
	}

	// Changes after h0: a flag on UID 2, UIDs 3 and 4 expunged.
	c.mustOK("c1", `UID STORE 2 +FLAGS.SILENT ($Seen2)`)
	c.mustOK("c2", `UID STORE 3:4 +FLAGS.SILENT (\Deleted)`)
	c.send("c3 EXPUNGE")
	c.expect("* VANISHED 3:4")
	// RFC 7162 §3.2.7: the new HIGHESTMODSEQ comes with the tagged OK.
	c.expectRe(`^c3 OK \[HIGHESTMODSEQ \d+\] EXPUNGE completed$`)

	// §3.2.5.1: reselect with the old state.
	lines, _, h1 := selectInfo(t, c, "s2", "SELECT INBOX (QRESYNC ("+uv+" "+u64(h0)+"))")
	if lines[0] != "* OK [CLOSED] Previous mailbox is now closed" {
		t.Fatalf("first line %q, want [CLOSED]", lines[0])
	}
	tail := strings.Join(lines[len(lines)-2:], "\n")
	want := "* VANISHED (EARLIER) 3:4\n* 2 FETCH (UID 2 FLAGS ($Seen2) MODSEQ ("
	if !strings.HasPrefix(tail, want) {
		t.Fatalf("resync answered\n%s\nwant prefix\n%s", tail, want)
	}
	if h1 <= h0 {
		t.Fatalf("HIGHESTMODSEQ %d not above %d", h1, h0)
	}

	// Known UIDs restrict both parts.
	lines, _, _ = selectInfo(t, c, "s3", "EXAMINE INBOX (QRESYNC ("+uv+" "+u64(h0)+" 1,3))")
	for _, l := range lines {
		if strings.Contains(l, "VANISHED") && l != "* VANISHED (EARLIER) 3" || strings.Contains(l, "FETCH") {
			t.Fatalf("known-uids 1,3 answered %q", l)
		}
	}
	// A UIDVALIDITY mismatch: no resync data at all.
	lines, _, _ = selectInfo(t, c, "s4", "SELECT INBOX (QRESYNC (1 "+u64(h0)+"))")
	for _, l := range lines {
		if strings.Contains(l, "VANISHED") || strings.Contains(l, "FETCH") {
			t.Fatalf("UIDVALIDITY mismatch answered %q", l)
		}
	}
	// Nothing changed since h1.
	lines, _, _ = selectInfo(t, c, "s5", "SELECT INBOX (QRESYNC ("+uv+" "+u64(h1)+" 1:10))")
	for _, l := range lines {
		if strings.Contains(l, "VANISHED") || strings.Contains(l, "FETCH") {
			t.Fatalf("resync from HIGHESTMODSEQ answered %q", l)
		}
	}

	// §3.2.6: UID FETCH ... (CHANGEDSINCE m VANISHED).
	c.send("f1 UID FETCH 1:* (FLAGS) (CHANGEDSINCE " + u64(h0) + " VANISHED)")
	c.expect("* VANISHED (EARLIER) 3:4")
	c.expectRe(`^\* 2 FETCH \(UID 2 FLAGS \(\$Seen2\) MODSEQ \(\d+\)\)$`)
	c.expect("f1 OK UID FETCH completed")
	c.send("f2 FETCH 1:* (FLAGS) (CHANGEDSINCE " + u64(h0) + " VANISHED)")
	c.expect("f2 BAD VANISHED is only valid in UID FETCH")
	c.send("f3 UID FETCH 1:* (FLAGS) (VANISHED)")
	c.expect("f3 BAD VANISHED needs CHANGEDSINCE")

	// Another session's expunge arrives as VANISHED (§3.2.10.2).
	b := ts.login(t, testUser)
	b.mustOK("b1", "SELECT INBOX")
	b.mustOK("b2", `UID STORE 5 +FLAGS.SILENT (\Deleted)`)
	b.mustOK("b3", "EXPUNGE")
	c.send("n1 NOOP")
	// The flag change to UID 5 is moot: it is gone.
	c.expect("* VANISHED 5", "n1 OK NOOP completed")
}

func TestQresyncNeedsEnable(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t, testUser)
	c.send("s1 SELECT INBOX (QRESYNC (1 1))")
	c.expect("s1 BAD QRESYNC parameter without ENABLE QRESYNC")
	c.mustOK("s2", "SELECT INBOX")
	c.send("f1 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)")
	c.expect("f1 BAD VANISHED without ENABLE QRESYNC")
}
