package imap

import "testing"

func TestObjectIDs(t *testing.T) {
	if got := MailboxID(7, 1700000000); got != "M7-1700000000" {
		t.Errorf("MailboxID = %q", got)
	}
	for _, n := range []int64{1, 42, 1 << 62} {
		if got, ok := ParseEmailID(EmailID(n)); !ok || got != n {
			t.Errorf("EmailID round trip %d: %d %v", n, got, ok)
		}
		if got, ok := ParseThreadID(ThreadID(n)); !ok || got != n {
			t.Errorf("ThreadID round trip %d: %d %v", n, got, ok)
		}
	}
	for _, bad := range []string{"", "E", "T1", "E0", "E01", "E-1", "E+1", "E1x", "e1", "E99999999999999999999"} {
		if _, ok := ParseEmailID(bad); ok {
			t.Errorf("ParseEmailID(%q) accepted", bad)
		}
	}
	if _, ok := ParseThreadID("E1"); ok {
		t.Error("ParseThreadID accepted an EMAILID")
	}
}
