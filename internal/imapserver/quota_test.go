package imapserver

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"petrel.dev/petrel/internal/store"
)

// TestQuota follows RFC 9208: GETQUOTAROOT/GETQUOTA, NO [OVERQUOTA] for
// APPEND and COPY with nothing changed, MOVE allowed, DELETED-STORAGE.
func TestQuota(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t, testUser)
	c.send("q0 GETQUOTAROOT INBOX")
	c.expect("* QUOTAROOT INBOX", "q0 OK GETQUOTAROOT completed")
	c.send(`q1 GETQUOTA ""`)
	c.expect("q1 NO [NONEXISTENT] No such quota root")

	msg := testMessage("q", strings.Repeat("x", 2000))
	if err := ts.store.SetQuota(context.Background(), testUser, &store.Quota{Storage: int64(2*len(msg) + 100), Messages: 10}); err != nil {
		t.Fatal(err)
	}
	c.appendMsg("a1", "INBOX", "()", msg)
	c.appendMsg("a2", "INBOX", "()", msg)
	c.send("q2 GETQUOTAROOT INBOX")
	kb := strconv.Itoa(2 * len(msg) / 1024)
	limit := strconv.Itoa((2*len(msg) + 100) / 1024)
	c.expect(`* QUOTAROOT INBOX ""`, `* QUOTA "" (STORAGE `+kb+` `+limit+` MESSAGE 2 10)`, "q2 OK GETQUOTAROOT completed")

	// Refused before the literal is sent.
	c.send("a3 APPEND INBOX {" + strconv.Itoa(len(msg)) + "}")
	c.expectRe(`^a3 NO \[OVERQUOTA\] `)
	// A non-synchronising literal (RFC 7888) comes anyway: the store
	// refuses it at commit, with the same answers.
	c.sendRaw("a4 APPEND INBOX {" + strconv.Itoa(len(msg)) + "+}\r\n" + msg + "\r\n")
	c.expectRe(`^a4 NO \[OVERQUOTA\] `)
	c.sendRaw("a5 APPEND Nowhere {5+}\r\nhello\r\n")
	c.expectRe(`^a5 NO \[TRYCREATE\] `)
	c.mustOK("s", "SELECT INBOX")
	c.send("c1 COPY 1 Archive")
	c.expectRe(`^c1 NO \[OVERQUOTA\] `)
	c.mustOK("m1", "MOVE 1 Archive")
	c.send("st STATUS INBOX (MESSAGES)")
	c.expect("* STATUS INBOX (MESSAGES 1)", "st OK STATUS completed")

	c.mustOK("d1", `STORE 1 +FLAGS (\Deleted)`)
	c.send("st2 STATUS INBOX (DELETED DELETED-STORAGE)")
	c.expect("* STATUS INBOX (DELETED 1 DELETED-STORAGE "+strconv.Itoa(len(msg))+")", "st2 OK STATUS completed")
	c.send(`sq SETQUOTA "" (STORAGE 1)`)
	c.expect("sq NO [NOPERM] Quotas are set by the administrator")
}
