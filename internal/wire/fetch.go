package wire

import (
	"petrel.dev/petrel/internal/imap"
)

// FETCH.
//
// RFC 9051 §9:
//
//	fetch = "FETCH" SP sequence-set SP ("ALL" / "FULL" / "FAST" /
//	        fetch-att / "(" fetch-att *(SP fetch-att) ")") [fetch-modifiers]
//	section = "[" [section-spec] "]"
//	section-binary = "[" [section-part] "]"
//	partial = "<" number "." nz-number ">"
//
// RFC 9051 §6.4.5: ALL = (FLAGS INTERNALDATE RFC822.SIZE ENVELOPE),
// FAST = (FLAGS INTERNALDATE RFC822.SIZE), FULL = ALL + BODY.

var (
	fetchFast = []imap.FetchAtt{{Kind: imap.FetchFlags}, {Kind: imap.FetchInternalDate}, {Kind: imap.FetchRFC822Size}}
	fetchAll  = append(fetchFast[:3:3], imap.FetchAtt{Kind: imap.FetchEnvelope})
	fetchFull = append(fetchAll[:4:4], imap.FetchAtt{Kind: imap.FetchBody})
)

// simpleFetchAtts are the fetch-att names without section or partial.
var simpleFetchAtts = map[string]imap.FetchKind{
	"ENVELOPE": imap.FetchEnvelope, "FLAGS": imap.FetchFlags, "INTERNALDATE": imap.FetchInternalDate,
	"RFC822": imap.FetchRFC822, "RFC822.HEADER": imap.FetchRFC822Header, "RFC822.TEXT": imap.FetchRFC822Text,
	"RFC822.SIZE": imap.FetchRFC822Size, "BODYSTRUCTURE": imap.FetchBodyStructure, "UID": imap.FetchUID,
	"MODSEQ": imap.FetchModSeq, "SAVEDATE": imap.FetchSaveDate, "EMAILID": imap.FetchEmailID,
	"THREADID": imap.FetchThreadID, "PREVIEW": imap.FetchPreview,
}

func isNameChar(c byte) bool {
	return ('A' <= c && c <= 'Z') || ('a' <= c && c <= 'z') || isDigit(c) || c == '.' || c == '-'
}

func parseFetch(d *Decoder, c *imap.Command) error {
	if err := d.sp(); err != nil {
		return err
	}
	set, err := d.seqSet()
	if err != nil {
		return err
	}
	args := &imap.FetchArgs{Set: set}
	if err := d.sp(); err != nil {
		return err
	}
	ch, err := d.peek()
	if err != nil {
		return err
	}
	if ch == '(' {
		if err := d.consume(); err != nil {
			return err
		}
		for i := 0; ; i++ {
			ch, err := d.peek()
			if err != nil {
				return err
			}
			if ch == ')' {
				if i == 0 {
					return bad("empty FETCH attribute list")
				}
				if err := d.consume(); err != nil {
					return err
				}
				break
			}
			if i > 0 {
				if err := d.sp(); err != nil {
					return err
				}
			}
			att, err := d.fetchAtt(false)
			if err != nil {
				return err
			}
			args.Atts = append(args.Atts, att...)
		}
	} else {
		att, err := d.fetchAtt(true)
		if err != nil {
			return err
		}
		args.Atts = att
	}
	c.Args = args
	if ch, err := d.peek(); err != nil || ch != ' ' {
		return err
	}
	if err := d.sp(); err != nil {
		return err
	}
	// RFC 7162 §3.1.4 CHANGEDSINCE, §3.2.6 VANISHED.
	args.Modifiers, err = d.modifiers("FETCH modifier", map[string]bool{"CHANGEDSINCE": true, "VANISHED": false})
	return err
}

// fetchAtt reads one fetch-att; with macros, ALL/FAST/FULL are accepted
// and expanded.
func (d *Decoder) fetchAtt(macros bool) ([]imap.FetchAtt, error) {
	raw, err := d.token(isNameChar, "FETCH attribute")
	if err != nil {
		return nil, err
	}
	name := toUpper(raw)
	switch name {
	case "ALL", "FAST", "FULL":
		if !macros {
			return nil, bad("FETCH macro %s cannot be used inside a list", name)
		}
		m := map[string][]imap.FetchAtt{"ALL": fetchAll, "FAST": fetchFast, "FULL": fetchFull}[name]
		return append([]imap.FetchAtt(nil), m...), nil
	case "BODY", "BODY.PEEK", "BINARY", "BINARY.PEEK", "BINARY.SIZE":
		ch, err := d.peek()
		if err != nil {
			return nil, err
		}
		if ch != '[' {
			if name == "BODY" {
				return []imap.FetchAtt{{Kind: imap.FetchBody}}, nil
			}
			return nil, bad("%s needs a section in brackets", name)
		}
		att := imap.FetchAtt{Kind: imap.FetchBodySection, Peek: name == "BODY.PEEK"}
		binary := name != "BODY" && name != "BODY.PEEK"
		if binary {
			att.Kind, att.Peek = imap.FetchBinarySection, name == "BINARY.PEEK"
			if name == "BINARY.SIZE" {
				att.Kind = imap.FetchBinarySize
			}
		}
		if att.Section, err = d.section(binary); err != nil {
			return nil, err
		}
		if att.Kind != imap.FetchBinarySize {
			if att.Partial, err = d.partial(); err != nil {
				return nil, err
			}
		}
		return []imap.FetchAtt{att}, nil
	}
	kind, ok := simpleFetchAtts[name]
	if !ok {
		return nil, bad("unknown FETCH attribute %.40s", raw)
	}
	if kind == imap.FetchPreview {
		if err := d.previewMods(); err != nil {
			return nil, err
		}
	}
	return []imap.FetchAtt{{Kind: kind}}, nil
}

// previewMods reads the optional RFC 8970 §7 modifiers after PREVIEW:
// SP "(" preview-mod *(SP preview-mod) ")", preview-mod = "LAZY". They are
// recognised by peeking at " (LAZY" byte by byte (so a fetch modifier list
// such as " (CHANGEDSINCE 1)" is left alone) and dropped: the server always
// generates previews.
func (d *Decoder) previewMods() error {
	const want = " (LAZY"
	for i := 1; i <= len(want); i++ {
		b, err := d.r.Peek(i)
		if err != nil {
			return d.ioErr(err)
		}
		if upper(b[i-1]) != want[i-1] {
			return nil
		}
	}
	if err := d.sp(); err != nil {
		return err
	}
	return d.paramList("PREVIEW modifier", func(name string) error {
		if name != "LAZY" {
			return bad("unknown PREVIEW modifier %.40s", name)
		}
		return nil
	})
}

// section reads "[" section-spec "]" (binary: "[" [section-part] "]").
func (d *Decoder) section(binary bool) (imap.Section, error) {
	var s imap.Section
	if err := d.expect('[', `"["`); err != nil {
		return s, err
	}
	for {
		ch, err := d.peek()
		if err != nil {
			return s, err
		}
		if !isDigit(ch) {
			break
		}
		if len(s.Part) >= d.lim.MaxDepth {
			return s, bad("section part path too deep (limit %d)", d.lim.MaxDepth)
		}
		n, err := d.nzNumber("section part number")
		if err != nil {
			return s, err
		}
		s.Part = append(s.Part, int(n))
		if ch, err = d.peek(); err != nil {
			return s, err
		}
		if ch != '.' {
			break
		}
		if err := d.consume(); err != nil {
			return s, err
		}
		if ch, err = d.peek(); err != nil {
			return s, err
		}
		if !isDigit(ch) {
			if binary {
				return s, bad("BINARY sections take only part numbers")
			}
			if err := d.sectionText(&s); err != nil {
				return s, err
			}
			break
		}
	}
	ch, err := d.peek()
	if err != nil {
		return s, err
	}
	if ch != ']' && len(s.Part) == 0 {
		if binary {
			return s, bad("BINARY sections take only part numbers")
		}
		if err := d.sectionText(&s); err != nil {
			return s, err
		}
	}
	return s, d.expect(']', `"]" closing the section`)
}

// sectionText reads section-msgtext or, after a part number, "MIME".
func (d *Decoder) sectionText(s *imap.Section) error {
	raw, err := d.token(func(c byte) bool { return isNameChar(c) && !isDigit(c) }, "section specifier")
	if err != nil {
		return err
	}
	spec := toUpper(raw)
	switch spec {
	case "HEADER", "TEXT":
	case "MIME":
		if len(s.Part) == 0 {
			return bad("MIME section specifier needs a part number")
		}
	case "HEADER.FIELDS", "HEADER.FIELDS.NOT":
		if err := d.sp(); err != nil {
			return err
		}
		if err := d.expect('(', "parenthesised header field list"); err != nil {
			return err
		}
		for i := 0; ; i++ {
			ch, err := d.peek()
			if err != nil {
				return err
			}
			if ch == ')' {
				if i == 0 {
					return bad("empty header field list")
				}
				if err := d.consume(); err != nil {
					return err
				}
				break
			}
			if i > 0 {
				if err := d.sp(); err != nil {
					return err
				}
			}
			f, err := d.astring("header field name")
			if err != nil {
				return err
			}
			s.Fields = append(s.Fields, f)
		}
	default:
		return bad("unknown section specifier %.40s", raw)
	}
	s.Specifier = spec
	return nil
}

// partial reads an optional "<" number "." nz-number ">".
func (d *Decoder) partial() (*imap.Partial, error) {
	ch, err := d.peek()
	if err != nil || ch != '<' {
		return nil, err
	}
	if err := d.consume(); err != nil {
		return nil, err
	}
	off, err := d.number("partial offset")
	if err != nil {
		return nil, err
	}
	if err := d.expect('.', `"." in partial <offset.count>`); err != nil {
		return nil, err
	}
	cnt, err := d.nzNumber("partial count")
	if err != nil {
		return nil, err
	}
	if err := d.expect('>', `">" closing partial`); err != nil {
		return nil, err
	}
	return &imap.Partial{Offset: off, Count: cnt}, nil
}
