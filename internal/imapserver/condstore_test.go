package imapserver

import (
	"regexp"
	"strconv"
	"testing"
)

// modseqOf extracts the MODSEQ of a FETCH line.
func modseqOf(t *testing.T, line string) uint64 {
	t.Helper()
	m := regexp.MustCompile(`MODSEQ \((\d+)\)`).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("no MODSEQ in %q", line)
	}
	n, _ := strconv.ParseUint(m[1], 10, 64)
	return n
}

func u64(n uint64) string { return strconv.FormatUint(n, 10) }

// TestCondstore follows RFC 7162 §3.1 and its examples.
func TestCondstore(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t, testUser)
	for _, subj := range []string{"a", "b", "c"} {
		c.appendMsg("a", "INBOX", "()", testMessage(subj, "x"))
	}
	c.send("s1 CAPABILITY")
	c.expectRe(` CONDSTORE( |$)`)
	c.expect("s1 OK CAPABILITY completed")

	// §3.1.8: SELECT (CONDSTORE) reports HIGHESTMODSEQ.
	lines := c.mustOK("s2", "SELECT INBOX (CONDSTORE)")
	var highest uint64
	for _, l := range lines {
		if m := regexp.MustCompile(`^\* OK \[HIGHESTMODSEQ (\d+)\] `).FindStringSubmatch(l); m != nil {
			highest, _ = strconv.ParseUint(m[1], 10, 64)
		}
	}
	if highest == 0 {
		t.Fatalf("no HIGHESTMODSEQ in %q", lines)
	}

	// §3.1.4.2: MODSEQ as a FETCH item.
	c.send("f1 FETCH 1:3 (MODSEQ)")
	m1 := modseqOf(t, c.expectRe(`^\* 1 FETCH \(MODSEQ \(\d+\)\)$`))
	c.expectRe(`^\* 2 FETCH \(MODSEQ \(\d+\)\)$`)
	c.expectRe(`^\* 3 FETCH \(MODSEQ \(\d+\)\)$`)
	c.expect("f1 OK FETCH completed")
	if m1 > highest {
		t.Fatalf("message MODSEQ %d above HIGHESTMODSEQ %d", m1, highest)
	}

	// A plain STORE now carries MODSEQ, above the old HIGHESTMODSEQ.
	c.send(`t1 STORE 2 +FLAGS (\Seen)`)
	m2 := modseqOf(t, c.expectRe(`^\* 2 FETCH \(FLAGS \(\\Seen\) MODSEQ \(\d+\)\)$`))
	c.expect("t1 OK STORE completed")
	if m2 <= highest {
		t.Fatalf("STORE gave MODSEQ %d, not above %d", m2, highest)
	}

	// §3.1.3 Example 6: message 2 changed after `highest`, so it fails the
	// test and its current state is reported; 1 and 3 are stored.
	c.send(`t2 STORE 1:3 (UNCHANGEDSINCE ` + u64(highest) + `) +FLAGS.SILENT (\Flagged)`)
	m3 := modseqOf(t, c.expectRe(`^\* 1 FETCH \(MODSEQ \(\d+\)\)$`))
	c.expect(`* 2 FETCH (FLAGS (\Seen) MODSEQ (` + u64(m2) + `))`)
	c.expect(`* 3 FETCH (MODSEQ (` + u64(m3) + `))`)
	c.expect("t2 OK [MODIFIED 2] Conditional STORE failed")
	if m3 <= m2 {
		t.Fatalf("conditional STORE MODSEQ %d not above %d", m3, m2)
	}

	// §3.1.3 Example 8: UNCHANGEDSINCE 0 always fails.
	c.send(`t3 UID STORE 1 (UNCHANGEDSINCE 0) +FLAGS.SILENT ($MDNSent)`)
	c.expect(`* 1 FETCH (UID 1 FLAGS (\Flagged) MODSEQ (`+u64(m3)+`))`, "t3 OK [MODIFIED 1] Conditional STORE failed")

	// §3.1.4.1: CHANGEDSINCE returns only what changed, with MODSEQ.
	c.send("f2 UID FETCH 1:* (FLAGS) (CHANGEDSINCE " + u64(m2) + ")")
	c.expect(`* 1 FETCH (UID 1 FLAGS (\Flagged) MODSEQ (`+u64(m3)+`))`,
		`* 3 FETCH (UID 3 FLAGS (\Flagged) MODSEQ (`+u64(m3)+`))`,
		"f2 OK UID FETCH completed")
	c.send("f3 FETCH 1:* (FLAGS) (CHANGEDSINCE " + u64(m3) + ")")
	c.expect("f3 OK FETCH completed")

	// §3.1.5, §3.1.6: SEARCH MODSEQ and the highest MODSEQ of the result.
	c.send("q1 SEARCH MODSEQ " + u64(m2))
	c.expect("* SEARCH 1 2 3 (MODSEQ "+u64(m3)+")", "q1 OK SEARCH completed")
	c.send("q2 UID SEARCH RETURN (COUNT) MODSEQ " + u64(m3))
	c.expect(`* ESEARCH (TAG "q2") UID COUNT 2 MODSEQ `+u64(m3), "q2 OK UID SEARCH completed")

	// §3.1.7: STATUS HIGHESTMODSEQ.
	c.send("q3 STATUS INBOX (HIGHESTMODSEQ)")
	c.expect("* STATUS INBOX (HIGHESTMODSEQ "+u64(m3)+")", "q3 OK STATUS completed")

	// Another session's change reaches this CONDSTORE-aware one with MODSEQ.
	b := ts.login(t, testUser)
	b.mustOK("b1", "SELECT INBOX")
	b.mustOK("b2", `STORE 3 -FLAGS.SILENT (\Flagged)`)
	c.send("n1 NOOP")
	m4 := modseqOf(t, c.expectRe(`^\* 3 FETCH \(UID 3 FLAGS \(\) MODSEQ \(\d+\)\)$`))
	c.expect("n1 OK NOOP completed")
	if m4 <= m3 {
		t.Fatalf("MODSEQ went from %d to %d", m3, m4)
	}
}

// TestCondstoreEnable: the first enabling command with a mailbox selected
// reports HIGHESTMODSEQ (RFC 7162 §3.1); ENABLE names it (RFC 5161).
func TestCondstoreEnable(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t, testUser)
	c.appendMsg("a", "INBOX", "()", testMessage("a", "x"))
	c.mustOK("s", "SELECT INBOX")
	c.send("e1 ENABLE CONDSTORE")
	c.expectRe(`^\* OK \[HIGHESTMODSEQ \d+\] Highest$`)
	c.expect("* ENABLED CONDSTORE", "e1 OK ENABLE completed")
	c.send("e2 ENABLE CONDSTORE")
	c.expect("* ENABLED", "e2 OK ENABLE completed")
	c.send("s2 EXAMINE INBOX")
	found := false
	for _, l := range c.until("s2") {
		found = found || regexp.MustCompile(`^\* OK \[HIGHESTMODSEQ \d+\]`).MatchString(l)
	}
	if !found {
		t.Fatal("EXAMINE after ENABLE CONDSTORE did not report HIGHESTMODSEQ")
	}
}
