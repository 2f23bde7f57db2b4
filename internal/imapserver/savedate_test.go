package imapserver

import (
	"testing"
	"time"
)

// TestSaveDate follows RFC 8514 §4: FETCH SAVEDATE and the SAVED* keys.
func TestSaveDate(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t, testUser)
	c.send(`a1 APPEND INBOX "01-Jan-2015 18:50:53 +0100" {` + "5}")
	c.expectRe(`^\+ `)
	c.send("hello")
	c.until("a1")
	c.mustOK("s", "SELECT INBOX")
	c.send("f1 FETCH 1 (INTERNALDATE SAVEDATE)")
	today := time.Now().UTC().Format("02-Jan-2006")
	c.expectRe(`^\* 1 FETCH \(INTERNALDATE " 1-Jan-2015 18:50:53 \+0100" SAVEDATE "[ 0-9]\d-\w{3}-\d{4} \d\d:\d\d:\d\d \+0000"\)$`)
	c.expect("f1 OK FETCH completed")
	c.send("q1 SEARCH SAVEDON " + today)
	c.expect("* SEARCH 1", "q1 OK SEARCH completed")
	c.send("q2 SEARCH SAVEDBEFORE " + today)
	c.expect("* SEARCH", "q2 OK SEARCH completed")
	c.send("q3 SEARCH SAVEDATESUPPORTED ON 1-Jan-2015")
	c.expect("* SEARCH 1", "q3 OK SEARCH completed")
}
