package lmtp

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"petrel.dev/petrel/internal/store"
)

// fakeUsers is a Users func over a fixed set of names.
func fakeUsers(names ...string) func(context.Context, string) (store.UserInfo, error) {
	return func(_ context.Context, name string) (store.UserInfo, error) {
		for _, n := range names {
			if n == name {
				return store.UserInfo{Name: n}, nil
			}
		}
		if name == "broken" {
			return store.UserInfo{}, errors.New("database is locked")
		}
		return store.UserInfo{}, fmt.Errorf("user %q: %w", name, store.ErrNoUser)
	}
}

func TestResolve(t *testing.T) {
	users := fakeUsers("alice", "bob", "carol@example.net", "dave+x", "broken-not")
	tests := []struct {
		name      string
		domains   []string
		delim     string
		addr      string
		user      string
		detail    string
		unknown   bool
		temporary bool
	}{
		{"bare", nil, "+", "alice", "alice", "", false, false},
		{"any domain", nil, "+", "alice@example.org", "alice", "", false, false},
		{"case folded", nil, "+", "Alice@Example.ORG", "alice", "", false, false},
		{"local domain", []string{"example.org"}, "+", "alice@EXAMPLE.org", "alice", "", false, false},
		{"foreign domain", []string{"example.org"}, "+", "alice@example.com", "", "", true, false},
		{"bare with domains", []string{"example.org"}, "+", "bob", "bob", "", false, false},
		{"full address user", []string{"example.org"}, "+", "carol@example.net", "carol@example.net", "", false, false},
		{"full address user detail", []string{"example.org"}, "+", "carol+news@example.net", "carol@example.net", "news", false, false},
		{"detail", nil, "+", "alice+lists@example.org", "alice", "lists", false, false},
		{"detail keeps case", nil, "+", "alice+Lists/Go@example.org", "alice", "Lists/Go", false, false},
		{"detail bare", nil, "+", "bob+x", "bob", "x", false, false},
		{"detail disabled", nil, "", "alice+lists@example.org", "", "", true, false},
		{"other delimiter", nil, "-", "alice-lists@example.org", "alice", "lists", false, false},
		{"user with delimiter wins", nil, "+", "dave+x@example.org", "dave+x", "", false, false},
		{"empty detail", nil, "+", "alice+@example.org", "alice", "", false, false},
		{"no base", nil, "+", "+alice@example.org", "", "", true, false},
		{"unknown", nil, "+", "zed@example.org", "", "", true, false},
		{"invalid name", nil, "+", "al ice@example.org", "", "", true, false},
		{"empty", nil, "+", "", "", "", true, false},
		{"too long", nil, "+", strings.Repeat("a", 600) + "@example.org", "", "", true, false},
		{"lookup fails", nil, "+", "broken@example.org", "", "", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Resolver{Users: users, Domains: tt.domains, DetailDelimiter: tt.delim}
			rc, err := r.Resolve(context.Background(), tt.addr)
			switch {
			case tt.unknown:
				if !errors.Is(err, ErrUnknownRecipient) {
					t.Fatalf("Resolve(%q) = %+v, %v; want ErrUnknownRecipient", tt.addr, rc, err)
				}
			case tt.temporary:
				if err == nil || errors.Is(err, ErrUnknownRecipient) {
					t.Fatalf("Resolve(%q) = %+v, %v; want a lookup error", tt.addr, rc, err)
				}
			default:
				if err != nil {
					t.Fatalf("Resolve(%q): %v", tt.addr, err)
				}
				if rc.User != tt.user || rc.Detail != tt.detail || rc.Address != tt.addr {
					t.Fatalf("Resolve(%q) = %+v; want user %q detail %q", tt.addr, rc, tt.user, tt.detail)
				}
			}
		})
	}
}

func TestReplyFor(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{fmt.Errorf("x: %w", ErrUnknownRecipient), "550 5.1.1"},
		{fmt.Errorf("x: %w", store.ErrNoUser), "550 5.1.1"},
		{fmt.Errorf("x: %w", store.ErrTooBig), "552 5.3.4"},
		{fmt.Errorf("spool: %w", errTooBig), "552 5.3.4"},
		{fmt.Errorf("x: %w", store.ErrOverQuota), "552 5.2.2"},
		{errors.New("disk I/O error"), "451 4.3.0"},
		{fmt.Errorf("x: %w", store.ErrNoMailbox), "451 4.3.0"},
	}
	for _, tt := range tests {
		r := replyFor(tt.err)
		got := fmt.Sprintf("%d %d.%d.%d", r.Code, r.EnhancedCode[0], r.EnhancedCode[1], r.EnhancedCode[2])
		if got != tt.want {
			t.Errorf("replyFor(%v) = %s, want %s", tt.err, got, tt.want)
		}
	}
}

// Aliases come after real users and before the catch-all, which only
// applies to local domains (issue: "catch-all off by default").
func TestResolveAliasesAndCatchAll(t *testing.T) {
	aliases := map[string]string{"postmaster@example.org": "alice", "sales": "bob", "alice": "bob"}
	r := &Resolver{
		Users:           fakeUsers("alice", "bob"),
		Domains:         []string{"example.org"},
		DetailDelimiter: "+",
		Aliases: func(_ context.Context, addr string) (string, error) {
			if u, ok := aliases[addr]; ok {
				return u, nil
			}
			return "", fmt.Errorf("alias %q: %w", addr, store.ErrNoAlias)
		},
	}
	for _, tc := range []struct{ addr, user, detail string }{
		{"Postmaster@Example.org", "alice", ""},
		{"sales@example.org", "bob", ""},
		{"sales+q3@example.org", "bob", "q3"},
		{"alice@example.org", "alice", ""}, // a user beats an alias
	} {
		rc, err := r.Resolve(context.Background(), tc.addr)
		if err != nil || rc.User != tc.user || rc.Detail != tc.detail {
			t.Errorf("%s → %+v, %v; want %s/%s", tc.addr, rc, err, tc.user, tc.detail)
		}
	}
	if _, err := r.Resolve(context.Background(), "zed@example.org"); !errors.Is(err, ErrUnknownRecipient) {
		t.Errorf("unknown address without catch-all: %v", err)
	}
	r.CatchAll = "alice"
	if rc, err := r.Resolve(context.Background(), "zed@example.org"); err != nil || rc.User != "alice" {
		t.Errorf("catch-all: %+v, %v", rc, err)
	}
	if _, err := r.Resolve(context.Background(), "zed@elsewhere.com"); !errors.Is(err, ErrUnknownRecipient) {
		t.Errorf("catch-all took a foreign domain: %v", err)
	}
}
