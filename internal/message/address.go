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
	syntaxError    = "SYNTAX_ERROR" // host of a broken angle address
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
			return p.plainAddrSpec(start, groupOK), false, true
		case '>':
			p.i++
			continue
		}
		break // ',' or ';'
	}
	if len(phrase) == 0 {
		return Address{}, false, false
	}
	// Words without '<' or '@': an addr-spec without a domain.
	return p.plainAddrSpec(start, groupOK), false, true
}

// plainAddrSpec parses an addr-spec that is not inside angle brackets,
// from token start, and ends the address (see skipTo).
func (p *addrParser) plainAddrSpec(start int, groupOK bool) Address {
	p.i = start
	// A malformed part leaves the parser on it, so skipTo ends the list;
	// "bare@," still goes on, as in Dovecot.
	a, _ := p.addrSpec(false)
	p.skipTo(!groupOK)
	return a
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
	if p.peek() == '>' && len(route) == 0 {
		// "<>": an empty address, not an error.
		p.i++
		mb, host := missingMailbox, missingDomain
		return Address{Mailbox: &mb, Host: &host}
	}
	a, ok := p.addrSpec(true)
	if len(route) > 0 {
		r := strings.Join(route, "")
		a.Route = &r
	}
	if !ok || p.peek() != '>' {
		// Like Dovecot: an angle address that does not end at '>' after
		// its addr-spec is a syntax error, and the list ends there.
		host := syntaxError
		a.Host = &host
		p.stop = true
		return a
	}
	p.i++
	return a
}

// addrSpec parses local-part ["@" domain] the way Dovecot 2.3's
// message-address.c does, filling what is missing. The local part is one
// dot-atom or quoted string and the domain one dot-atom or domain
// literal; ok is false when either is malformed (the caller then ends the
// list unless a comma follows). Outside angle brackets, a local part followed by more words and
// no '@' is a display name without an address ("Deal Shopper" gives name
// "Deal Shopper", MISSING_MAILBOX, MISSING_DOMAIN).
func (p *addrParser) addrSpec(inAngle bool) (a Address, ok bool) {
	ok = true
	var local string
	localOK := false
	if t := p.tok(); t.kind == 'q' {
		local, localOK = t.text, true
		p.i++
	} else if s, n, valid := p.dotAtom(true); valid {
		local, localOK = s, true
		p.i += n
	} else {
		ok = false
	}
	var domain string
	hadAt := p.peek() == '@'
	if hadAt {
		p.i++
		if t := p.tok(); t.kind == 'd' {
			domain = t.text
			p.i++
		} else if s, n, valid := p.dotAtom(false); valid {
			domain = s
			p.i += n
		} else {
			p.i += n
			ok = false
		}
	}
	if c := p.comment(p.i - 1); c != "" {
		a.Name = &c
	} else if !hadAt && !inAngle && localOK {
		var words []string
		for k := p.peek(); k == 'a' || k == 'q'; k = p.peek() {
			words = append(words, p.toks[p.i].text)
			p.i++
		}
		if len(words) > 0 {
			name := local + " " + strings.Join(words, " ")
			a.Name = &name
			local = ""
		}
	}
	if local == "" {
		local = missingMailbox
	}
	if domain == "" {
		domain = missingDomain
	}
	a.Mailbox, a.Host = &local, &domain
	return a, ok
}

// tok returns the current token, or a zero token at the end.
func (p *addrParser) tok() atok {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return atok{}
}

// dotAtom reads a dot-atom (RFC 5322 §3.2.3) at the current token as
// Dovecot's parser does: white space or a comment may come before a dot
// ("c .d" is "c.d"; the tokenizer keeps dots inside atoms, so a token
// starting with a dot continues the previous one). A local part
// (local=true) may have dots anywhere ("....", "a..b" — obs-local-part
// leniency); a domain must be atext separated by single dots. It returns
// the text, the tokens it takes and whether it is valid; an invalid domain
// whose only fault is a trailing dot still takes its tokens, so that a
// following comma goes on with the list ("a@b., c@d"), as in Dovecot.
func (p *addrParser) dotAtom(local bool) (string, int, bool) {
	var b strings.Builder
	n := 0
	for p.i+n < len(p.toks) {
		t := p.toks[p.i+n]
		if t.kind != 'a' || (n > 0 && !strings.HasPrefix(t.text, ".")) {
			break
		}
		b.WriteString(t.text)
		n++
	}
	s := b.String()
	switch {
	case n == 0:
		return "", 0, false
	case local && validAtext(s, true):
		return s, n, true
	case !local && validDomain(s):
		return s, n, true
	case !local && validDomain(strings.TrimSuffix(s, ".")):
		return "", n, false
	}
	return "", 0, false
}

// validDomain reports a strict dot-atom: atext runs separated by single
// dots.
func validDomain(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	return validAtext(s, true)
}

// validAtext reports whether s is non-empty and all atext (8-bit bytes
// included, RFC 6532), or dots when dots is true.
func validAtext(s string, dots bool) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c == '.' && dots) && c < 0x80 && !isAtext(c) {
			return false
		}
	}
	return true
}

// isAtext reports an ASCII atext character (RFC 5322 §3.2.3).
func isAtext(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}
