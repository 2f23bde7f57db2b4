package integration

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// crlf turns a message written with "\n" line ends into wire form.
func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

// reportMsg is a two-part message: a text part and a base64 attachment
// whose decoded bytes are 0x00–0x04.
var reportMsg = crlf(`From: Alice Example <alice@example.org>
To: Bob <bob@example.net>
Cc: carol@example.com
Subject: Quarterly report
Date: Mon, 02 Jan 2006 15:04:05 -0700
Message-ID: <report-1@example.org>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="XYZ"

--XYZ
Content-Type: text/plain; charset=utf-8

Hello Bob, the numbers are attached.

--XYZ
Content-Type: application/octet-stream; name="data.bin"
Content-Transfer-Encoding: base64

AAECAwQ=
--XYZ--
`)

// reportPart1 is BODY[1] of reportMsg: RFC 2046 §5.1.1 gives the CRLF
// before a boundary delimiter to the delimiter, so one CRLF remains and
// the part is unambiguously one line long.
const reportPart1 = "Hello Bob, the numbers are attached.\r\n"

// simpleMsg returns a one-part text message with the given subject and
// body.
func simpleMsg(subject, body string) string {
	return crlf(fmt.Sprintf("From: Bob <bob@example.net>\nTo: Alice <alice@example.org>\nSubject: %s\nDate: Tue, 03 Jan 2006 10:00:00 +0000\nMessage-ID: <%s@example.net>\n\n%s\n",
		subject, strings.ReplaceAll(subject, " ", "."), body))
}

// appendMsg APPENDs msg to mailbox with flags and an internal date (zero:
// none) and returns the APPENDUID data.
func appendMsg(t testing.TB, c *imapclient.Client, mailbox, msg string, flags []imap.Flag, date time.Time) *imap.AppendData {
	t.Helper()
	cmd := c.Append(mailbox, int64(len(msg)), &imap.AppendOptions{Flags: flags, Time: date})
	if _, err := cmd.Write([]byte(msg)); err != nil {
		t.Fatalf("APPEND %s: write: %v", mailbox, err)
	}
	if err := cmd.Close(); err != nil {
		t.Fatalf("APPEND %s: close: %v", mailbox, err)
	}
	data, err := cmd.Wait()
	if err != nil {
		t.Fatalf("APPEND %s: %v", mailbox, err)
	}
	return data
}

// fetchAll FETCHes items for the set and fails t on error.
func fetchAll(t testing.TB, c *imapclient.Client, set imap.NumSet, opts *imap.FetchOptions) []*imapclient.FetchMessageBuffer {
	t.Helper()
	msgs, err := c.Fetch(set, opts).Collect()
	if err != nil {
		t.Fatalf("FETCH %v: %v", set, err)
	}
	return msgs
}

// hasFlag reports whether flags holds f, case-insensitively (RFC 9051
// §2.3.2: flags are case-insensitive).
func hasFlag(flags []imap.Flag, f imap.Flag) bool {
	for _, g := range flags {
		if strings.EqualFold(string(g), string(f)) {
			return true
		}
	}
	return false
}

// mailboxNames LISTs "*" and returns the names.
func mailboxNames(t testing.TB, c *imapclient.Client) map[string]*imap.ListData {
	t.Helper()
	list, err := c.List("", "*", nil).Collect()
	if err != nil {
		t.Fatalf("LIST: %v", err)
	}
	out := map[string]*imap.ListData{}
	for _, l := range list {
		out[l.Mailbox] = l
	}
	return out
}

// selectBox SELECTs mailbox and fails t on error.
func selectBox(t testing.TB, c *imapclient.Client, mailbox string) *imap.SelectData {
	t.Helper()
	data, err := c.Select(mailbox, nil).Wait()
	if err != nil {
		t.Fatalf("SELECT %s: %v", mailbox, err)
	}
	return data
}

// searchSeq runs SEARCH and returns the sequence numbers.
func searchSeq(t testing.TB, c *imapclient.Client, crit *imap.SearchCriteria) []uint32 {
	t.Helper()
	data, err := c.Search(crit, nil).Wait()
	if err != nil {
		t.Fatalf("SEARCH %+v: %v", crit, err)
	}
	return data.AllSeqNums()
}

func equalU32(a, b []uint32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
