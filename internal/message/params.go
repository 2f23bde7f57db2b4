package message

import (
	"sort"
	"strconv"
	"strings"
)

// MIME structured header values: Content-Type (RFC 2045 §5.1),
// Content-Disposition (RFC 2183) and their parameters with RFC 2231
// continuations and charset/language. Parsing is lenient: comments are
// skipped, broken parameters are dropped, never an error.

// lexer walks a structured header value.
type lexer struct {
	s string
	i int
}

// skipCFWS skips white space and RFC 5322 comments.
func (l *lexer) skipCFWS() {
	for l.i < len(l.s) {
		switch l.s[l.i] {
		case ' ', '\t', '\r', '\n':
			l.i++
		case '(':
			l.comment()
		default:
			return
		}
	}
}

// comment consumes a (possibly nested) comment and returns its text.
func (l *lexer) comment() string {
	depth := 0
	var b strings.Builder
	for l.i < len(l.s) {
		c := l.s[l.i]
		l.i++
		switch {
		case c == '\\' && l.i < len(l.s):
			b.WriteByte(l.s[l.i])
			l.i++
			continue
		case c == '(':
			depth++
			if depth == 1 {
				continue
			}
		case c == ')':
			depth--
			if depth == 0 {
				return b.String()
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

// isTSpecial reports RFC 2045 §5.1 tspecials (and white space/controls).
func isTSpecial(c byte) bool {
	return c <= ' ' || c == 0x7f || strings.IndexByte(`()<>@,;:\"/[]?=`, c) >= 0
}

// token reads an RFC 2045 token (8-bit bytes allowed, leniently).
func (l *lexer) token() string {
	start := l.i
	for l.i < len(l.s) && !isTSpecial(l.s[l.i]) {
		l.i++
	}
	return l.s[start:l.i]
}

// quoted reads a quoted-string at l.i (which is '"'), unescaping it. An
// unterminated string runs to the end of the value and gives ok=false.
func (l *lexer) quoted() (s string, ok bool) {
	l.i++
	var b strings.Builder
	for l.i < len(l.s) {
		c := l.s[l.i]
		l.i++
		switch c {
		case '\\':
			if l.i < len(l.s) {
				b.WriteByte(l.s[l.i])
				l.i++
			}
		case '"':
			return b.String(), true
		case '\r', '\n':
			// folding inside a quoted string
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), false
}

// params parses "; name=value" pairs up to the end of the value. Like
// Dovecot, parsing stops at the first syntax error (a parameter without
// "=", an unterminated quoted string, junk after a value); the parameters
// before it are kept.
func (l *lexer) params() []Param {
	var raws []rawParam
	for {
		l.skipCFWS()
		if l.i >= len(l.s) || l.s[l.i] != ';' {
			break
		}
		l.i++ // ';'
		l.skipCFWS()
		if l.i >= len(l.s) {
			break // a trailing ";"
		}
		name := l.token()
		l.skipCFWS()
		if name == "" || l.i >= len(l.s) || l.s[l.i] != '=' {
			break
		}
		l.i++
		l.skipCFWS()
		var v string
		if l.i < len(l.s) && l.s[l.i] == '"' {
			var ok bool
			if v, ok = l.quoted(); !ok {
				break
			}
		} else if v = l.token(); v == "" {
			break
		}
		raws = append(raws, splitParamName(name, v))
	}
	return assembleParams(raws)
}

// rawParam is a parameter before RFC 2231 assembly.
type rawParam struct {
	name    string // without the *N / * suffix
	section int    // -1 for no continuation
	ext     bool   // value is RFC 2231 extended (charset'lang'%XX)
	value   string
}

// splitParamName separates the RFC 2231 suffixes from a parameter name.
func splitParamName(name, v string) rawParam {
	p := rawParam{name: name, section: -1, value: v}
	if strings.HasSuffix(name, "*") {
		p.ext = true
		name = name[:len(name)-1]
	}
	if i := strings.LastIndexByte(name, '*'); i > 0 {
		if n, err := strconv.Atoi(name[i+1:]); err == nil && n >= 0 && n < 1000 {
			p.section = n
			name = name[:i]
		}
	}
	p.name = name
	return p
}

// assembleParams joins RFC 2231 §3 continuations as RFC 2231 §6 asks of
// IMAP servers, in Dovecot's form: sections are sorted and concatenated;
// when the value is extended (§4, charset'language'%XX) the name keeps a
// trailing "*" and the value stays encoded, so that clients can decode it
// with its charset (ParamValue decodes it). Parameters keep the order of
// their first appearance; repeated plain parameters are all kept.
func assembleParams(raws []rawParam) []Param {
	if len(raws) == 0 {
		return nil
	}
	type group struct {
		name  string
		parts []rawParam
	}
	var groups []*group
	byName := map[string]*group{}
	for _, r := range raws {
		key := strings.ToLower(r.name)
		g := byName[key]
		if r.section < 0 {
			g = nil // duplicates of plain parameters are all kept, like Dovecot
		}
		if g == nil {
			g = &group{name: r.name}
			if r.section >= 0 {
				byName[key] = g
			}
			groups = append(groups, g)
		}
		g.parts = append(g.parts, r)
	}
	out := make([]Param, 0, len(groups))
	for _, g := range groups {
		p := g.parts[0]
		if p.section < 0 {
			name := p.name
			if p.ext {
				name += "*"
			}
			out = append(out, Param{Name: name, Value: p.value})
			continue
		}
		sort.SliceStable(g.parts, func(i, j int) bool { return g.parts[i].section < g.parts[j].section })
		var b strings.Builder
		ext := g.parts[0].ext
		for _, s := range g.parts {
			b.WriteString(s.value)
		}
		name := g.name
		if ext {
			name += "*"
		}
		out = append(out, Param{Name: name, Value: b.String()})
	}
	return out
}

// ParamValue returns the value of the parameter name (case-insensitive)
// decoded to UTF-8: an RFC 2231 extended parameter ("name*" =
// charset'language'%XX, as the parser stores it) is percent-decoded and
// converted from its charset. A plain parameter wins over an extended one.
func ParamValue(params []Param, name string) (string, bool) {
	for _, p := range params {
		if strings.EqualFold(p.Name, name) {
			return p.Value, true
		}
	}
	for _, p := range params {
		if strings.EqualFold(p.Name, name+"*") {
			return decode2231(p.Value), true
		}
	}
	return "", false
}

// decode2231 decodes an extended value charset'lang'%XX (RFC 2231 §4).
func decode2231(v string) string {
	a := strings.IndexByte(v, '\'')
	if a < 0 {
		return string(percentDecode(v))
	}
	b := strings.IndexByte(v[a+1:], '\'')
	if b < 0 {
		return string(percentDecode(v))
	}
	return toUTF8(v[:a], percentDecode(v[a+1+b+1:]))
}

func percentDecode(s string) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s)+0 && isHex(s[i+1]) && isHex(s[i+2]) {
			out = append(out, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		out = append(out, s[i])
	}
	return out
}

// parseContentType parses "type/subtype; params" (RFC 2045 §5.1). Broken
// values are described as Dovecot does: "foo" gives type "foo" with an
// empty subtype, "foo/" and an empty value give both empty.
func parseContentType(v string) (typ, sub string, params []Param) {
	l := &lexer{s: v}
	l.skipCFWS()
	typ = l.token()
	l.skipCFWS()
	if typ == "" {
		return "", "", nil
	}
	if l.i >= len(l.s) || l.s[l.i] != '/' {
		return typ, "", nil
	}
	l.i++
	l.skipCFWS()
	sub = l.token()
	if sub == "" {
		return "", "", nil
	}
	return typ, sub, l.params()
}

// parseDisposition parses RFC 2183 "type; params".
func parseDisposition(v string) (typ string, params []Param, ok bool) {
	l := &lexer{s: v}
	l.skipCFWS()
	typ = l.token()
	if typ == "" {
		return "", nil, false
	}
	return typ, l.params(), true
}

// parseLanguage parses RFC 3282 Content-Language: a comma-separated list.
func parseLanguage(v string) []string {
	var out []string
	for _, t := range strings.Split(v, ",") {
		l := &lexer{s: t}
		l.skipCFWS()
		if tok := l.token(); tok != "" {
			out = append(out, tok)
		}
	}
	return out
}

// parseToken returns the first token of a value (Content-Transfer-Encoding).
func parseToken(v string) string {
	l := &lexer{s: v}
	l.skipCFWS()
	return l.token()
}
