package imapserver

import (
	"regexp"
	"testing"
)

// TestObjectID follows RFC 8474: MAILBOXID on CREATE, SELECT and STATUS
// (kept by RENAME), EMAILID kept by COPY, THREADID from In-Reply-To, and
// the EMAILID/THREADID search keys.
func TestObjectID(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t, testUser)
	c.send("c1 CREATE foo")
	id := regexp.MustCompile(`^c1 OK \[MAILBOXID \((M[0-9-]+)\)\] CREATE completed$`).FindStringSubmatch(c.readLine())
	if id == nil {
		t.Fatal("CREATE without MAILBOXID")
	}
	c.mustOK("c2", "RENAME foo renamed")
	c.send("c3 STATUS renamed (MAILBOXID)")
	c.expect("* STATUS renamed (MAILBOXID ("+id[1]+"))", "c3 OK STATUS completed")

	c.appendMsg("a1", "renamed", "()", "Message-ID: <p@x>\r\nSubject: p\r\n\r\nbody\r\n")
	c.appendMsg("a2", "renamed", "()", "Message-ID: <r@x>\r\nIn-Reply-To: <p@x>\r\nSubject: r\r\n\r\nbody\r\n")
	c.appendMsg("a3", "renamed", "()", "Message-ID: <o@x>\r\nSubject: o\r\n\r\nbody\r\n")
	lines := c.mustOK("s1", "SELECT renamed")
	if !contains(lines, "* OK [MAILBOXID ("+id[1]+")] Ok") {
		t.Fatalf("SELECT lacks the MAILBOXID %s: %q", id[1], lines)
	}
	c.send("f1 FETCH 1:3 (EMAILID THREADID)")
	re := regexp.MustCompile(`^\* (\d) FETCH \(EMAILID \((E\d+)\) THREADID \((T\d+)\)\)$`)
	var email, thread [4]string
	for range 3 {
		m := re.FindStringSubmatch(c.readLine())
		if m == nil {
			t.Fatal("bad FETCH EMAILID THREADID line")
		}
		n := int(m[1][0] - '0')
		email[n], thread[n] = m[2], m[3]
	}
	c.expect("f1 OK FETCH completed")
	if thread[1] != thread[2] || thread[3] == thread[1] || email[1] == email[2] {
		t.Fatalf("emails %v threads %v", email, thread)
	}
	c.send("q1 SEARCH THREADID " + thread[1])
	c.expect("* SEARCH 1 2", "q1 OK SEARCH completed")
	c.send("q2 SEARCH EMAILID " + email[3])
	c.expect("* SEARCH 3", "q2 OK SEARCH completed")

	c.mustOK("m1", "COPY 1 INBOX")
	c.mustOK("m2", "EXAMINE INBOX")
	c.send("m3 FETCH 1 (EMAILID THREADID)")
	c.expect("* 1 FETCH (EMAILID ("+email[1]+") THREADID ("+thread[1]+"))", "m3 OK FETCH completed")
}
