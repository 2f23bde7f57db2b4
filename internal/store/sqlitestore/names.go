package sqlitestore

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"petrel.dev/petrel/internal/store"
)

// Limits on mailbox names.
const (
	maxMailboxName  = 1000 // bytes
	maxMailboxDepth = 32   // hierarchy levels
)

// normName validates a mailbox name and spells INBOX, and the first
// component of INBOX's children, in upper case: RFC 9051 §5.1 makes
// "INBOX" case-insensitive.
func normName(name string) (string, error) {
	if name == "" || len(name) > maxMailboxName || !utf8.ValidString(name) {
		return "", fmt.Errorf("invalid mailbox name %q: %w", name, store.ErrCannot)
	}
	parts := strings.Split(name, string(store.Delim))
	if len(parts) > maxMailboxDepth {
		return "", fmt.Errorf("mailbox name %q nested too deep: %w", name, store.ErrCannot)
	}
	for _, p := range parts {
		if p == "" {
			return "", fmt.Errorf("invalid mailbox name %q (empty level): %w", name, store.ErrCannot)
		}
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return "", fmt.Errorf("invalid mailbox name %q (control character): %w", name, store.ErrCannot)
		}
	}
	if strings.EqualFold(parts[0], "INBOX") && parts[0] != "INBOX" {
		parts[0] = "INBOX"
		name = strings.Join(parts, string(store.Delim))
	}
	return name, nil
}

// parents returns the ancestors of name, outermost first: "a/b/c" → "a", "a/b".
func parents(name string) []string {
	var ps []string
	for i := 0; i < len(name); i++ {
		if name[i] == store.Delim {
			ps = append(ps, name[:i])
		}
	}
	return ps
}

// isChild reports whether name is strictly below parent.
func isChild(name, parent string) bool {
	return len(name) > len(parent)+1 && name[len(parent)] == store.Delim && strings.HasPrefix(name, parent)
}
