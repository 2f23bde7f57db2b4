package sqlitestore

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"petrel.dev/petrel/internal/store"
)

func TestNormName(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"INBOX", "INBOX", true},
		{"inbox", "INBOX", true},
		{"InBoX/Sub", "INBOX/Sub", true},
		{"INBOXES", "INBOXES", true},
		{"Sent", "Sent", true},
		{"a/b/c", "a/b/c", true},
		{"Grüße", "Grüße", true},
		{"", "", false},
		{"/", "", false},
		{"a//b", "", false},
		{"/a", "", false},
		{"a/", "", false},
		{"a\x00b", "", false},
		{"a\tb", "", false},
		{"\xff", "", false},
		{strings.Repeat("x", maxMailboxName+1), "", false},
		{strings.Repeat("x/", maxMailboxDepth) + "x", "", false},
	}
	for _, tt := range tests {
		got, err := normName(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("normName(%q) = %q, %v; want %q, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && !errors.Is(err, store.ErrCannot) {
			t.Errorf("normName(%q) error %v does not wrap ErrCannot", tt.in, err)
		}
	}
}

func TestParentsAndChildren(t *testing.T) {
	if got := parents("a/b/c"); !slices.Equal(got, []string{"a", "a/b"}) {
		t.Errorf("parents(a/b/c) = %v", got)
	}
	if got := parents("a"); got != nil {
		t.Errorf("parents(a) = %v", got)
	}
	tests := []struct {
		name, parent string
		want         bool
	}{
		{"a/b", "a", true},
		{"a/b/c", "a", true},
		{"a", "a", false},
		{"ab", "a", false},
		{"a/", "a", false},
		{"b/a", "a", false},
	}
	for _, tt := range tests {
		if got := isChild(tt.name, tt.parent); got != tt.want {
			t.Errorf("isChild(%q, %q) = %v", tt.name, tt.parent, got)
		}
	}
}

func TestCheckUserName(t *testing.T) {
	for _, n := range []string{"alice", "bob@example.org", "a.b-c_d"} {
		if err := checkUserName(n); err != nil {
			t.Errorf("checkUserName(%q) = %v", n, err)
		}
	}
	for _, n := range []string{"", ".", "..", "a/b", `a\b`, "a\x00", "a\nb", strings.Repeat("x", maxUserName+1), "\xff"} {
		if err := checkUserName(n); err == nil {
			t.Errorf("checkUserName(%q) accepted", n)
		}
	}
}
