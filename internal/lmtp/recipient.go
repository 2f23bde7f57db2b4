package lmtp

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"petrel.dev/petrel/internal/auth"
	"petrel.dev/petrel/internal/store"
)

// maxAddress caps the length of a recipient address (RFC 5321 §4.5.3.1.3
// allows a path of 256 octets; UTF-8 local parts may be longer).
const maxAddress = 512

// ErrUnknownRecipient is returned by Resolve for an address that names
// no account here.
var ErrUnknownRecipient = errors.New("unknown recipient")

// Resolver maps recipient addresses to accounts and mailboxes.
type Resolver struct {
	// Users looks an account up; it returns an error wrapping
	// store.ErrNoUser when there is none.
	Users func(ctx context.Context, name string) (store.UserInfo, error)
	// Domains are the local domains, compared case-insensitively; empty
	// accepts every domain.
	Domains []string
	// DetailDelimiter separates user and detail; "" disables details.
	DetailDelimiter string
	// Aliases, when set, looks an alias up (see store.Store.Alias); it
	// returns an error wrapping store.ErrNoAlias when there is none.
	Aliases func(ctx context.Context, address string) (string, error)
	// CatchAll, when not "", receives mail for unknown addresses in the
	// local domains. Off by default.
	CatchAll string
}

// Recipient is a resolved address.
type Recipient struct {
	Address string // as given
	User    string // account name
	// Detail names the mailbox to deliver to when it exists; "" means
	// INBOX.
	Detail string
}

// Resolve maps addr to an account. Candidates are tried in this order,
// the first existing account wins:
//
//  1. the whole address, as a user named "alice@example.org";
//  2. the local part alone ("alice"), if the domain is local;
//  3. and 4. the same with the detail cut off at the first
//     DetailDelimiter ("alice+lists" → "alice", detail "lists");
//  5. aliases of the same candidates, in the same order (lower case);
//  6. the CatchAll user, for a local domain.
//
// A bare "alice" has no domain and is always local. It returns an error
// wrapping ErrUnknownRecipient when no candidate exists, or another error
// when the lookup itself failed (a temporary failure).
func (r *Resolver) Resolve(ctx context.Context, addr string) (Recipient, error) {
	rc := Recipient{Address: addr}
	if addr == "" || len(addr) > maxAddress {
		return rc, fmt.Errorf("%q: %w", addr, ErrUnknownRecipient)
	}
	local, domain, hasDomain := cutLast(addr, "@")
	localDomain := !hasDomain || r.localDomain(domain)
	type cand struct{ name, detail string }
	var cands []cand
	add := func(local, detail string) {
		if hasDomain {
			cands = append(cands, cand{local + "@" + domain, detail})
		}
		if localDomain {
			cands = append(cands, cand{local, detail})
		}
	}
	add(local, "")
	if d := r.DetailDelimiter; d != "" {
		if base, detail, ok := strings.Cut(local, d); ok && base != "" {
			add(base, detail)
		}
	}
	for _, c := range cands {
		name, err := auth.NormalizeUser(c.name)
		if err != nil {
			continue // not a valid user name, so no such user
		}
		_, err = r.Users(ctx, name)
		if errors.Is(err, store.ErrNoUser) {
			continue
		}
		if err != nil {
			return rc, fmt.Errorf("look up %q: %w", name, err)
		}
		rc.User, rc.Detail = name, c.detail
		return rc, nil
	}
	if r.Aliases != nil {
		for _, c := range cands {
			user, err := r.Aliases(ctx, strings.ToLower(c.name))
			if errors.Is(err, store.ErrNoAlias) {
				continue
			}
			if err != nil {
				return rc, fmt.Errorf("look up alias %q: %w", c.name, err)
			}
			rc.User, rc.Detail = user, c.detail
			return rc, nil
		}
	}
	if r.CatchAll != "" && localDomain {
		if _, err := r.Users(ctx, r.CatchAll); err == nil {
			rc.User = r.CatchAll
			return rc, nil
		} else if !errors.Is(err, store.ErrNoUser) {
			return rc, fmt.Errorf("look up %q: %w", r.CatchAll, err)
		}
	}
	return rc, fmt.Errorf("%q: %w", addr, ErrUnknownRecipient)
}

// localDomain reports whether domain is one of r.Domains, or any domain
// when the list is empty.
func (r *Resolver) localDomain(domain string) bool {
	if len(r.Domains) == 0 {
		return true
	}
	for _, d := range r.Domains {
		if strings.EqualFold(d, domain) {
			return true
		}
	}
	return false
}

// cutLast is strings.Cut at the last sep.
func cutLast(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}
