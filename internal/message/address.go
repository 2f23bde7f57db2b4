package message

import "strings"

// Address lists (RFC 5322 §3.4) parsed for the ENVELOPE (RFC 9051
// §7.5.2), the way Dovecot does it for IMAP:
//   - display names are unquoted and unescaped but encoded-words are left
//     as they are; words are joined by one space; a comment stands in for
//     a missing display name ("a@b (Name)");
//   - obsolete routes "<@a,@b:user@host>" give the route "@a,@b";
//   - a group "name: a, b;" gives a group-start address (mailbox = name,
//     host NIL), its members, and a group-end address (all NIL);
//   - a missing local part or domain is filled with "MISSING_MAILBOX" /
//     "MISSING_DOMAIN" (Dovecot's MESSAGE_ADDRESS_PARSE_FLAG_FILL_MISSING),
//     so that clients see the same as from the reference server.

const (
	missingMailbox = "MISSING_MAILBOX"
	missingDomain  = "MISSING_DOMAIN"
)

type atok struct {
	kind byte // 'a' atom, 'q' quoted, 'd' domain literal, or the special
	text string
}

// tokenizeAddr splits an address list into atoms, quoted strings, domain
// literals and the specials < > @ , ; :. Comments are dropped; the text
// of the last comment before each token is remembered by the caller
// through comments.
func tokenizeAddr(s string) (toks []atok, comments []string) {
	l := &lexer{s: s}
	lastComment := ""
	for l.i < len(s) {
		c := s[l.i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			l.i++
			continue
		case c == '(':
			lastComment = strings.TrimSpace(l.comment())
			// A comment belongs to the token before it.
			if len(comments) > 0 && lastComment != "" {
				comments[len(comments)-1] = lastComment
			}
			continue
		case c == '"':
			q, _ := l.quoted()
			toks = append(toks, atok{'q', q})
		case c == '[':
			end := strings.IndexByte(s[l.i:], ']')
			if end < 0 {
				end = len(s) - l.i - 1
			}
			toks = append(toks, atok{'d', s[l.i : l.i+end+1]})
			l.i += end + 1
		case strings.IndexByte("<>@,;:", c) >= 0:
			toks = append(toks, atok{c, string(c)})
			l.i++
		default:
			start := l.i
			for l.i < len(s) && strings.IndexByte(" \t\r\n()\"[<>@,;:", s[l.i]) < 0 {
				l.i++
			}
			if l.i == start { // a stray ']' and the like
				l.i++
			}
			toks = append(toks, atok{'a', s[start:l.i]})
		}
		comments = append(comments, "")
	}
	return toks, comments
}

// parseAddressList parses an address list header value. An empty list
// gives nil.
func parseAddressList(s string) []Address {
	toks, comments := tokenizeAddr(s)
	p := &addrParser{toks: toks, comments: comments}
	var out []Address
	inGroup := false
	needAddr := true // at the start or after a comma
	missing := func() Address {
		mb, host := missingMailbox, missingDomain
		return Address{Mailbox: &mb, Host: &host}
	}
	for p.i < len(p.toks) && !p.stop {
		switch p.peek() {
		case ',':
			// Like Dovecot, an empty element is a missing address,
			// unless it is the last one.
			p.i++
			if needAddr && p.i < len(p.toks) {
				out = append(out, missing())
			}
			needAddr = true
			continue
		case ';':
			p.i++
			if inGroup {
				out = append(out, Address{})
				inGroup = false
			} else if needAddr {
				out = append(out, missing()) // ", ;"
			}
			needAddr = false
			continue
		}
		needAddr = false
		a, group, ok := p.mailbox(!inGroup)
		if group {
			out = append(out, Address{Mailbox: a.Mailbox})
			inGroup = true
			continue
		}
		if ok {
			out = append(out, a)
		}
	}
	if inGroup {
		out = append(out, Address{})
	}
	return out
}

type addrParser struct {
	toks     []atok
	comments []string
	i        int
	stop     bool // junk after an address: Dovecot ends the list there
}

func (p *addrParser) peek() byte {
	if p.i < len(p.toks) {
		return p.toks[p.i].kind
	}
	return 0
}

// mailbox parses one mailbox (or a group start when allowed), consuming
// tokens up to, not including, the next ',' or ';'.
func (p *addrParser) mailbox(groupOK bool) (a Address, group, ok bool) {
	var phrase []string
	start := p.i
	for p.i < len(p.toks) {
		t := p.toks[p.i]
		switch t.kind {
		case 'a', 'q', 'd':
			phrase = append(phrase, t.text)
			p.i++
			continue
		case ':':
			p.i++
			if groupOK {
				name := strings.Join(phrase, " ")
				return Address{Mailbox: &name}, true, true
			}
			continue // stray colon inside a group: ignore
		case '<':
			p.i++
			a = p.angle()
			if name := strings.Join(phrase, " "); name != "" {
				a.Name = &name
			} else if c := p.comment(p.i - 1); c != "" {
				a.Name = &c
			}
			p.skipTo(!groupOK)
			return a, false, true
		case '@':
			// addr-spec: the words so far were the local part.
			p.i = start
			a = p.addrSpec()
			if c := p.comment(p.i - 1); c != "" {
				a.Name = &c
			}
			p.skipTo(!groupOK)
			return a, false, true
		case '>':
			p.i++
			continue
		}
		break // ',' or ';'
	}
	if len(phrase) == 0 {
		return Address{}, false, false
	}
	// A bare word: a local part without a domain.
	mb := strings.Join(phrase, "")
	host := missingDomain
	a = Address{Mailbox: &mb, Host: &host}
	if c := p.comment(p.i - 1); c != "" {
		a.Name = &c
	}
	return a, false, true
}

// comment returns the comment recorded after token i.
func (p *addrParser) comment(i int) string {
	if i >= 0 && i < len(p.comments) {
		return p.comments[i]
	}
	return ""
}

// skipTo ends an address: anything but ',' (or ';' ending a group) after
// it stops the list (Dovecot's parser gives up there, keeping what it has;
// e.g. Outlook's "a@b; c@d" gives only a@b).
func (p *addrParser) skipTo(inGroup bool) {
	if p.i < len(p.toks) && p.toks[p.i].kind != ',' && (!inGroup || p.toks[p.i].kind != ';') {
		p.stop = true
	}
}

// angle parses after '<': [route ':'] addr-spec '>'.
func (p *addrParser) angle() Address {
	var route []string
	for p.peek() == '@' || (p.peek() == ',' && len(route) > 0) {
		// obs-route: "@a,@b:" — look ahead for the colon.
		j := p.i
		for j < len(p.toks) && p.toks[j].kind != ':' && p.toks[j].kind != '>' {
			j++
		}
		if j >= len(p.toks) || p.toks[j].kind != ':' {
			break
		}
		var r strings.Builder
		for k := p.i; k < j; k++ {
			r.WriteString(p.toks[k].text)
		}
		route = append(route, r.String())
		p.i = j + 1
	}
	a := p.addrSpec()
	if len(route) > 0 {
		r := strings.Join(route, "")
		a.Route = &r
	}
	for p.i < len(p.toks) && p.toks[p.i].kind != '>' && p.toks[p.i].kind != ',' && p.toks[p.i].kind != ';' {
		p.i++
	}
	if p.peek() == '>' {
		p.i++
	}
	return a
}

// addrSpec parses local-part ["@" domain], filling what is missing.
func (p *addrParser) addrSpec() Address {
	var local, domain strings.Builder
	for p.i < len(p.toks) {
		t := p.toks[p.i]
		if t.kind != 'a' && t.kind != 'q' && t.kind != 'd' {
			break
		}
		local.WriteString(t.text)
		p.i++
	}
	if p.peek() == '@' {
		p.i++
		for p.i < len(p.toks) {
			t := p.toks[p.i]
			if t.kind != 'a' && t.kind != 'd' && t.kind != 'q' {
				break
			}
			domain.WriteString(t.text)
			p.i++
		}
	}
	mb, host := local.String(), domain.String()
	if mb == "" {
		mb = missingMailbox
	}
	if host == "" {
		host = missingDomain
	}
	return Address{Mailbox: &mb, Host: &host}
}
