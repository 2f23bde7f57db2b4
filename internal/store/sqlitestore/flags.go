package sqlitestore

import (
	"fmt"
	"strings"

	"petrel.dev/petrel/internal/store"
)

// Limits on flags.
const (
	maxFlagLen  = 255  // bytes per flag
	maxFlags    = 256  // flags per message or per call
	maxKeywords = 1000 // distinct keywords per mailbox
)

// validFlag reports whether f is a flag-keyword atom, or `\` followed by
// one (RFC 9051 §9 "flag"): printable ASCII without atom-specials.
func validFlag(f string) bool {
	if f == "" || len(f) > maxFlagLen {
		return false
	}
	for i := 0; i < len(f); i++ {
		c := f[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`(){%*"]`, c) >= 0 || (c == '\\' && i > 0) {
			return false
		}
	}
	return f != `\`
}

// checkFlags validates a list of flags from a caller.
func checkFlags(flags []string) error {
	if len(flags) > maxFlags {
		return fmt.Errorf("too many flags: %w", store.ErrCannot)
	}
	for _, f := range flags {
		if !validFlag(f) {
			return fmt.Errorf("invalid flag %q: %w", f, store.ErrCannot)
		}
	}
	return nil
}

// flagKey is the case-insensitive identity of a flag (RFC 9051 §2.3.2:
// flags are case-insensitive; they are ASCII).
func flagKey(f string) string { return strings.ToLower(f) }

// isKeyword reports whether f is a keyword rather than a system flag.
func isKeyword(f string) bool { return !strings.HasPrefix(f, `\`) }

// hasFlag reports whether flags contain f, case-insensitively.
func hasFlag(flags []string, f string) bool {
	for _, g := range flags {
		if strings.EqualFold(g, f) {
			return true
		}
	}
	return false
}

// dedupFlags removes later case-insensitive duplicates, keeping order,
// and drops \Recent, which is never stored (RFC 9051 §2.3.2 makes it a
// session property; IMAP4rev2 no longer has it).
func dedupFlags(flags []string) []string {
	out := make([]string, 0, len(flags))
	for _, f := range flags {
		if !hasFlag(out, f) && !strings.EqualFold(f, `\Recent`) {
			out = append(out, f)
		}
	}
	return out
}

// applyFlags computes a message's new flags under mode and reports
// whether the set changed. cur and given must be free of duplicates.
func applyFlags(cur []string, mode store.FlagMode, given []string) ([]string, bool) {
	var out []string
	switch mode {
	case store.FlagsReplace:
		out = given
	case store.FlagsAdd:
		out = append([]string(nil), cur...)
		for _, f := range given {
			if !hasFlag(out, f) {
				out = append(out, f)
			}
		}
	case store.FlagsRemove:
		out = make([]string, 0, len(cur))
		for _, f := range cur {
			if !hasFlag(given, f) {
				out = append(out, f)
			}
		}
	default:
		return cur, false
	}
	return out, !sameFlags(cur, out)
}

// sameFlags reports whether a and b hold the same set of flags, spelled
// the same way.
func sameFlags(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, f := range a {
		found := false
		for _, g := range b {
			if f == g {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// splitFlags decodes the flags column, interning the strings through
// intern (which may be nil) to save memory in large snapshots.
func splitFlags(s string, intern map[string]string) []string {
	if s == "" {
		return nil
	}
	fs := strings.Fields(s)
	if intern != nil {
		for i, f := range fs {
			if g, ok := intern[f]; ok {
				fs[i] = g
			} else {
				intern[f] = f
			}
		}
	}
	return fs
}

// joinFlags encodes flags for the flags column.
func joinFlags(flags []string) string { return strings.Join(flags, " ") }

// keywordSet is a mailbox's keywords during a write transaction, keyed
// by flagKey, valued by the spelling first used in the mailbox.
type keywordSet struct {
	spelling map[string]string
	added    []string // new this transaction, to insert and publish
}

// canon maps flags to the mailbox's spelling of each keyword, recording
// keywords not seen before when add is true (otherwise they are dropped:
// removing an unknown keyword changes nothing).
func (k *keywordSet) canon(flags []string, add bool) ([]string, error) {
	out := make([]string, 0, len(flags))
	for _, f := range flags {
		if !isKeyword(f) {
			out = append(out, f)
			continue
		}
		if s, ok := k.spelling[flagKey(f)]; ok {
			out = append(out, s)
			continue
		}
		if !add {
			continue
		}
		if len(k.spelling) >= maxKeywords {
			return nil, fmt.Errorf("too many keywords in mailbox: %w", store.ErrCannot)
		}
		k.spelling[flagKey(f)] = f
		k.added = append(k.added, f)
		out = append(out, f)
	}
	return dedupFlags(out), nil
}
