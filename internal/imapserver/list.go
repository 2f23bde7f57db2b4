package imapserver

import (
	"strings"

	"petrel.dev/petrel/internal/imap"
	"petrel.dev/petrel/internal/store"
)

// listOptions say which attributes and data a LIST response carries.
type listOptions struct {
	subscribed bool // \Subscribed is computed (RFC 9051 §6.3.9.2)
	children   bool // \HasChildren / \HasNoChildren (RFC 3348)
	specialUse bool // special-use attributes (RFC 6154)
	childInfo  bool // CHILDINFO ("SUBSCRIBED") extended data (§6.3.9.6)
}

// listEntry is one name a LIST answers with.
type listEntry struct {
	name        string
	info        *store.MailboxInfo // nil: the name does not exist
	subscribed  bool
	hasChildren bool
	childInfo   bool
}

// cmdList implements LIST (RFC 9051 §6.3.9 with RFC 5258 LIST-EXTENDED,
// RFC 5819 LIST-STATUS, RFC 6154 SPECIAL-USE) and rev1 LSUB (RFC 3501
// §6.3.9).
func (s *session) cmdList(cmd *imap.Command) error {
	args := cmd.Args.(*imap.ListArgs)
	lsub := cmd.Name == "LSUB"
	if len(args.Patterns) == 1 && args.Patterns[0] == "" && !lsub {
		// RFC 9051 §6.3.9: the hierarchy delimiter and root name.
		s.untagged(`LIST (\Noselect) "/" ""`)
		return nil
	}
	if args.Select.RecursiveMatch && !args.Select.Subscribed && !args.Select.SpecialUse {
		return respBad("", "RECURSIVEMATCH needs another selection option")
	}
	if err := checkStatusItems(args.Return.Status); err != nil {
		return err
	}
	mboxes, err := s.acct.Mailboxes(s.ctx)
	if err != nil {
		return err
	}
	subs, err := s.acct.Subscriptions(s.ctx)
	if err != nil {
		return err
	}
	subscribed := make(map[string]bool, len(subs))
	for _, n := range subs {
		subscribed[n] = true
	}
	byName := make(map[string]*store.MailboxInfo, len(mboxes))
	for i := range mboxes {
		byName[mboxes[i].Name] = &mboxes[i]
	}
	patterns := make([]string, len(args.Patterns))
	for i, p := range args.Patterns {
		patterns[i] = canonicalPattern(args.Reference, p)
	}
	matches := func(name string) bool {
		for _, p := range patterns {
			if matchPattern(p, name) {
				return true
			}
		}
		return false
	}
	hasChildren := func(name string) bool {
		prefix := name + "/"
		for _, m := range mboxes {
			if strings.HasPrefix(m.Name, prefix) {
				return true
			}
		}
		return false
	}

	opts := listOptions{
		subscribed: args.Select.Subscribed || args.Return.Subscribed,
		children:   true,
		specialUse: true,
		childInfo:  args.Select.RecursiveMatch,
	}
	var entries []listEntry
	switch {
	case lsub || args.Select.Subscribed:
		// Subscribed names, existing or not.
		seen := map[string]bool{}
		for _, n := range subs {
			if matches(n) && !seen[n] {
				seen[n] = true
				info := byName[n]
				if args.Select.SpecialUse && (info == nil || len(info.SpecialUse) == 0) {
					continue
				}
				entries = append(entries, listEntry{name: n, info: info, subscribed: true, hasChildren: hasChildren(n)})
			}
		}
		if args.Select.RecursiveMatch {
			// RFC 5258 §3.5: parents matching the pattern that are not
			// themselves selected but have subscribed descendants.
			for _, n := range subs {
				for p := parentName(n); p != ""; p = parentName(p) {
					if matches(p) && !seen[p] {
						seen[p] = true
						entries = append(entries, listEntry{name: p, info: byName[p], subscribed: subscribed[p], hasChildren: true, childInfo: true})
					}
				}
			}
			sortEntries(entries)
		}
	default:
		for i := range mboxes {
			m := &mboxes[i]
			if !matches(m.Name) {
				continue
			}
			if args.Select.SpecialUse && len(m.SpecialUse) == 0 {
				continue
			}
			entries = append(entries, listEntry{name: m.Name, info: m, subscribed: subscribed[m.Name], hasChildren: hasChildren(m.Name)})
		}
	}
	name := "LIST"
	if lsub {
		name = "LSUB"
		opts = listOptions{}
	}
	for _, e := range entries {
		s.writeListEntry(name, e, opts, lsub)
		if args.Return.Status != nil && e.info != nil && !e.info.NoSelect {
			st, err := s.acct.Status(s.ctx, e.name)
			if err == nil {
				s.writeStatusResponse(e.name, args.Return.Status, st)
			}
		}
	}
	return nil
}

// mailboxInfo looks one mailbox up by name and says whether it has
// children.
func (s *session) mailboxInfo(name string) (*store.MailboxInfo, bool, error) {
	mboxes, err := s.acct.Mailboxes(s.ctx)
	if err != nil {
		return nil, false, err
	}
	var info *store.MailboxInfo
	children := false
	for i := range mboxes {
		if mboxes[i].Name == name {
			info = &mboxes[i]
		} else if strings.HasPrefix(mboxes[i].Name, name+"/") {
			children = true
		}
	}
	if info == nil {
		return nil, false, store.ErrNoMailbox
	}
	return info, children, nil
}

// writeList writes the LIST response for an existing mailbox.
func (s *session) writeList(cmdName string, info *store.MailboxInfo, hasChildren bool, opts listOptions) {
	s.writeListEntry(cmdName, listEntry{name: info.Name, info: info, hasChildren: hasChildren}, opts, false)
}

func (s *session) writeListEntry(cmdName string, e listEntry, opts listOptions, lsub bool) {
	var attrs []string
	switch {
	case e.info == nil && lsub:
		attrs = append(attrs, `\Noselect`)
	case e.info == nil:
		attrs = append(attrs, `\NonExistent`)
	case e.info.NoSelect:
		attrs = append(attrs, `\Noselect`)
	}
	if opts.children && e.info != nil {
		if e.hasChildren {
			attrs = append(attrs, `\HasChildren`)
		} else {
			attrs = append(attrs, `\HasNoChildren`)
		}
	}
	if opts.subscribed && e.subscribed {
		attrs = append(attrs, `\Subscribed`)
	}
	if opts.specialUse && e.info != nil {
		attrs = append(attrs, e.info.SpecialUse...)
	}
	s.enc.Raw("* ").Raw(cmdName).Raw(" (").Raw(strings.Join(attrs, " ")).Raw(`) "/" `).Mailbox(e.name)
	if e.childInfo && opts.childInfo {
		s.enc.Raw(` ("CHILDINFO" ("SUBSCRIBED"))`)
	}
	s.enc.CRLF()
}

// canonicalPattern joins reference and pattern (RFC 9051 §6.3.9) and
// spells a leading INBOX in upper case, since INBOX is case-insensitive.
func canonicalPattern(ref, pattern string) string {
	p := pattern
	if ref != "" {
		if strings.HasSuffix(ref, "/") && strings.HasPrefix(pattern, "/") {
			p = ref + pattern[1:]
		} else {
			p = ref + pattern
		}
	}
	if len(p) >= 5 && strings.EqualFold(p[:5], "INBOX") && (len(p) == 5 || p[5] == '/') {
		p = "INBOX" + p[5:]
	}
	return p
}

// matchPattern matches a mailbox name against a LIST pattern: "*" matches
// anything, "%" anything but the delimiter (RFC 9051 §6.3.9).
func matchPattern(pattern, name string) bool {
	// Dynamic programming over (pattern prefix, name prefix): O(p·n),
	// with no backtracking blow-up on patterns like "*a*a*a*b".
	prev := make([]bool, len(name)+1)
	cur := make([]bool, len(name)+1)
	prev[0] = true
	for i := 0; i < len(pattern); i++ {
		switch c := pattern[i]; c {
		case '*', '%':
			seen := false
			for j := 0; j <= len(name); j++ {
				if c == '%' && j > 0 && name[j-1] == '/' {
					seen = false
				}
				seen = seen || prev[j]
				cur[j] = seen
			}
		default:
			cur[0] = false
			for j := 1; j <= len(name); j++ {
				cur[j] = prev[j-1] && name[j-1] == c
			}
		}
		prev, cur = cur, prev
	}
	return prev[len(name)]
}

func parentName(name string) string {
	if i := strings.LastIndexByte(name, '/'); i > 0 {
		return name[:i]
	}
	return ""
}

func sortEntries(e []listEntry) {
	for i := 1; i < len(e); i++ {
		for j := i; j > 0 && e[j].name < e[j-1].name; j-- {
			e[j], e[j-1] = e[j-1], e[j]
		}
	}
}
