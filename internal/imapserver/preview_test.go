package imapserver

import "testing"

// TestPreview follows RFC 8970 §3: FETCH PREVIEW (and PREVIEW (LAZY))
// returns the stored text; a message without text gets "".
func TestPreview(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t, testUser)
	c.appendMsg("a", "INBOX", "()", "Subject: p\r\nContent-Type: text/html\r\n\r\n<p>Hello   <b>preview</b>\r\nworld</p>\r\n")
	c.appendMsg("a", "INBOX", "()", "Subject: p\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n")
	c.mustOK("s", "SELECT INBOX")
	c.send("f1 FETCH 1:2 (PREVIEW)")
	c.expect(`* 1 FETCH (PREVIEW "Hello preview world")`, `* 2 FETCH (PREVIEW "")`, "f1 OK FETCH completed")
	c.send("f2 UID FETCH 1 (PREVIEW (LAZY))")
	c.expect(`* 1 FETCH (UID 1 PREVIEW "Hello preview world")`, "f2 OK UID FETCH completed")
}
