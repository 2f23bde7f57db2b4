package differential

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// kind is the syntactic kind of an IMAP value.
type kind int

const (
	kindAtom    kind = iota // atom or number
	kindNil                 // NIL
	kindQuoted              // "quoted string"
	kindLiteral             // {n}\r\n literal (or ~{n} literal8)
	kindList                // ( … )
)

// value is one parsed IMAP value. Raw is its exact bytes on the wire.
type value struct {
	Kind  kind
	Raw   []byte
	Str   []byte   // the content of an atom, quoted string or literal
	Items []*value // the elements of a list
}

// isString reports whether v is a string (quoted or literal).
func (v *value) isString() bool { return v.Kind == kindQuoted || v.Kind == kindLiteral }

// maxDepth bounds the nesting of parsed lists.
const maxDepth = 256

// parser reads IMAP values from a raw response.
type parser struct {
	b   []byte
	pos int
}

func (p *parser) errf(format string, args ...any) error {
	return fmt.Errorf("at %d: %s", p.pos, fmt.Sprintf(format, args...))
}

func (p *parser) skipSpace() {
	for p.pos < len(p.b) && p.b[p.pos] == ' ' {
		p.pos++
	}
}

// value parses one value at the current position.
func (p *parser) value(depth int) (*value, error) {
	if depth > maxDepth {
		return nil, p.errf("nesting too deep")
	}
	if p.pos >= len(p.b) {
		return nil, p.errf("unexpected end")
	}
	start := p.pos
	switch c := p.b[p.pos]; {
	case c == '(':
		p.pos++
		v := &value{Kind: kindList}
		for {
			p.skipSpace()
			if p.pos >= len(p.b) {
				return nil, p.errf("unterminated list")
			}
			if p.b[p.pos] == ')' {
				p.pos++
				break
			}
			item, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			v.Items = append(v.Items, item)
		}
		v.Raw = p.b[start:p.pos]
		return v, nil
	case c == '"':
		p.pos++
		var s []byte
		for {
			if p.pos >= len(p.b) {
				return nil, p.errf("unterminated quoted string")
			}
			c := p.b[p.pos]
			p.pos++
			if c == '\\' && p.pos < len(p.b) {
				s = append(s, p.b[p.pos])
				p.pos++
				continue
			}
			if c == '"' {
				break
			}
			s = append(s, c)
		}
		return &value{Kind: kindQuoted, Raw: p.b[start:p.pos], Str: s}, nil
	case c == '{' || c == '~':
		if c == '~' {
			p.pos++
		}
		end := bytes.Index(p.b[p.pos:], []byte("}\r\n"))
		if end < 0 || p.b[p.pos] != '{' {
			return nil, p.errf("bad literal")
		}
		n, err := strconv.Atoi(string(p.b[p.pos+1 : p.pos+end]))
		if err != nil || n < 0 || p.pos+end+3+n > len(p.b) {
			return nil, p.errf("bad literal length")
		}
		p.pos += end + 3
		s := p.b[p.pos : p.pos+n]
		p.pos += n
		return &value{Kind: kindLiteral, Raw: p.b[start:p.pos], Str: s}, nil
	default:
		for p.pos < len(p.b) && !strings.ContainsRune(" ()\r\n", rune(p.b[p.pos])) {
			p.pos++
		}
		if p.pos == start {
			return nil, p.errf("unexpected %q", c)
		}
		raw := p.b[start:p.pos]
		if string(raw) == "NIL" {
			return &value{Kind: kindNil, Raw: raw}, nil
		}
		return &value{Kind: kindAtom, Raw: raw, Str: raw}, nil
	}
}

// itemName parses a FETCH data item name, with its section in brackets
// (which may hold a parenthesized field list) and a partial origin.
func (p *parser) itemName() (string, error) {
	start := p.pos
	for p.pos < len(p.b) && p.b[p.pos] != ' ' && p.b[p.pos] != '[' && p.b[p.pos] != ')' {
		p.pos++
	}
	if p.pos < len(p.b) && p.b[p.pos] == '[' {
		end := bytes.IndexByte(p.b[p.pos:], ']')
		if end < 0 {
			return "", p.errf("unterminated section")
		}
		p.pos += end + 1
		if p.pos < len(p.b) && p.b[p.pos] == '<' {
			end := bytes.IndexByte(p.b[p.pos:], '>')
			if end < 0 {
				return "", p.errf("unterminated origin")
			}
			p.pos += end + 1
		}
	}
	if p.pos == start {
		return "", p.errf("empty item name")
	}
	return string(p.b[start:p.pos]), nil
}

// parseFetch parses "* n FETCH (name value …)\r\n" into its sequence
// number and items, keyed by the upper-cased item name.
func parseFetch(resp []byte) (seq int, items map[string]*value, err error) {
	rest, ok := bytes.CutPrefix(resp, []byte("* "))
	if !ok {
		return 0, nil, fmt.Errorf("not untagged")
	}
	num, rest, ok := bytes.Cut(rest, []byte(" "))
	if !ok || !bytes.HasPrefix(rest, []byte("FETCH (")) {
		return 0, nil, fmt.Errorf("not FETCH")
	}
	seq, err = strconv.Atoi(string(num))
	if err != nil {
		return 0, nil, err
	}
	p := &parser{b: rest, pos: len("FETCH (")}
	items = map[string]*value{}
	for {
		p.skipSpace()
		if p.pos >= len(p.b) {
			return 0, nil, p.errf("unterminated FETCH")
		}
		if p.b[p.pos] == ')' {
			return seq, items, nil
		}
		name, err := p.itemName()
		if err != nil {
			return 0, nil, err
		}
		p.skipSpace()
		v, err := p.value(0)
		if err != nil {
			return 0, nil, fmt.Errorf("%s: %w", name, err)
		}
		items[strings.ToUpper(name)] = v
	}
}

func TestParseFetch(t *testing.T) {
	resp := []byte("* 12 FETCH (UID 5 ENVELOPE (NIL {3}\r\na\"b NIL ((\"x\\\\y\" NIL \"m\" \"h\"))) BODY[HEADER.FIELDS (From To)] {2}\r\nab BINARY.SIZE[1] 7)\r\n")
	seq, items, err := parseFetch(resp)
	if err != nil {
		t.Fatal(err)
	}
	if seq != 12 || len(items) != 4 {
		t.Fatalf("seq %d, items %v", seq, items)
	}
	env := items["ENVELOPE"]
	if env.Kind != kindList || len(env.Items) != 4 {
		t.Fatalf("envelope %+v", env)
	}
	if got := string(env.Items[1].Str); got != "a\"b" || env.Items[1].Kind != kindLiteral {
		t.Errorf("literal = %q", got)
	}
	if got := string(env.Items[3].Items[0].Items[0].Str); got != `x\y` {
		t.Errorf("quoted = %q", got)
	}
	if got := string(items["BODY[HEADER.FIELDS (FROM TO)]"].Raw); got != "{2}\r\nab" {
		t.Errorf("section raw = %q", got)
	}
	if got := string(items["BINARY.SIZE[1]"].Raw); got != "7" {
		t.Errorf("binary.size = %q", got)
	}
	for _, bad := range []string{"* 1 FETCH (ENVELOPE (", "* 1 FETCH (X {9}\r\nab)", "* x FETCH ()", "* 1 EXISTS"} {
		if _, _, err := parseFetch([]byte(bad)); err == nil {
			t.Errorf("parseFetch(%q) succeeded", bad)
		}
	}
}
