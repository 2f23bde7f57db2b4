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
// unterminated string runs to the end of the value.
func (l *lexer) quoted() string {
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
			return b.String()
		case '\r', '\n':
			// folding inside a quoted string
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// value reads a parameter value: a quoted-string or a token. Broken
// values (e.g. containing "/" or "@") are read up to the next ";".
func (l *lexer) value() string {
	l.skipCFWS()
	if l.i < len(l.s) && l.s[l.i] == '"' {
		return l.quoted()
	}
	start := l.i
	for l.i < len(l.s) && l.s[l.i] != ';' && l.s[l.i] != ' ' && l.s[l.i] != '\t' && l.s[l.i] != '(' && l.s[l.i] != '"' {
		l.i++
	}
	return l.s[start:l.i]
}

// rawParam is a parameter before RFC 2231 assembly.
type rawParam struct {
	name    string // without the *N / * suffix
	section int    // -1 for no continuation
	ext     bool   // value is RFC 2231 extended (charset'lang'%XX)
	value   string
}

// params parses "; name=value" pairs up to the end of the value.
func (l *lexer) params() []Param {
	var raws []rawParam
	for l.i < len(l.s) {
		l.skipCFWS()
		if l.i >= len(l.s) {
			break
		}
		if l.s[l.i] != ';' {
			// Garbage: skip to the next parameter.
			j := strings.IndexByte(l.s[l.i:], ';')
			if j < 0 {
				break
			}
			l.i += j
		}
		l.i++ // ';'
		l.skipCFWS()
		name := l.token()
		l.skipCFWS()
		if name == "" || l.i >= len(l.s) || l.s[l.i] != '=' {
			continue
		}
		l.i++
		v := l.value()
		raws = append(raws, splitParamName(name, v))
	}
	return assembleParams(raws)
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

// assembleParams joins RFC 2231 §3 continuations and decodes §4 extended
// values (charset'language'percent-encoded) to UTF-8. Parameters keep the
// order of their first appearance; a plain duplicate of an assembled name
// is dropped (first wins).
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
		if g == nil {
			g = &group{name: r.name}
			byName[key] = g
			groups = append(groups, g)
		}
		g.parts = append(g.parts, r)
	}
	out := make([]Param, 0, len(groups))
	for _, g := range groups {
		out = append(out, Param{Name: g.name, Value: joinSections(g.parts)})
	}
	return out
}

// joinSections assembles one parameter's pieces.
func joinSections(parts []rawParam) string {
	// A plain (non-continued) value wins if present and first.
	if parts[0].section < 0 {
		if parts[0].ext {
			return decode2231(parts[0].value, true)
		}
		return parts[0].value
	}
	var secs []rawParam
	for _, p := range parts {
		if p.section >= 0 {
			secs = append(secs, p)
		}
	}
	sort.SliceStable(secs, func(i, j int) bool { return secs[i].section < secs[j].section })
	charset := ""
	var raw []byte
	for i, p := range secs {
		if i > 0 && p.section == secs[i-1].section {
			continue
		}
		v := p.value
		if p.ext {
			if i == 0 {
				// charset'language'value in the first section only.
				if a := strings.IndexByte(v, '\''); a >= 0 {
					if b := strings.IndexByte(v[a+1:], '\''); b >= 0 {
						charset = v[:a]
						v = v[a+1+b+1:]
					}
				}
			}
			raw = append(raw, percentDecode(v)...)
		} else {
			raw = append(raw, v...)
		}
	}
	return toUTF8(charset, raw)
}

// decode2231 decodes a single extended value charset'lang'%XX.
func decode2231(v string, ext bool) string {
	if !ext {
		return v
	}
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

// parseContentType parses "type/subtype; params". ok is false when the
// value has no valid type/subtype (RFC 2045 §5.2: use the default).
func parseContentType(v string) (typ, sub string, params []Param, ok bool) {
	l := &lexer{s: v}
	l.skipCFWS()
	typ = l.token()
	l.skipCFWS()
	if typ == "" || l.i >= len(l.s) || l.s[l.i] != '/' {
		return "", "", nil, false
	}
	l.i++
	l.skipCFWS()
	sub = l.token()
	if sub == "" {
		return "", "", nil, false
	}
	return typ, sub, l.params(), true
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
