package message

import (
	"html"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Search text and preview: the decoded text of text/* parts, converted to
// UTF-8 from their charset (RFC 2046 §4.1.2), HTML reduced to its text,
// collected for SEARCH BODY/TEXT, and the RFC 8970 preview.

// maxPreviewRunes is RFC 8970 §3.1's limit: at most 256 characters; the
// brief for Petrel asks for about 200.
const maxPreviewRunes = 200

// addText appends a text part's decoded bytes to the search text and, for
// the first suitable part, sets the preview.
func (p *parser) addText(part *Part, raw []byte, previewOK bool) {
	charset, _ := ParamValue(part.Params, "charset")
	s := toUTF8(charset, raw)
	isHTML := strings.EqualFold(part.Subtype, "html")
	if isHTML {
		s = stripHTML(s)
	}
	p.addSearchText(s)
	if previewOK && p.msg.Preview == "" && (isHTML || strings.EqualFold(part.Subtype, "plain")) {
		p.msg.Preview = makePreview(s)
	}
}

// addSearchText appends s to the search text, on a new line, up to the cap.
func (p *parser) addSearchText(s string) {
	if p.search.Len() > 0 && p.search.Len() < maxSearchBytes {
		p.search.WriteByte('\n')
	}
	if room := maxSearchBytes - p.search.Len(); room > 0 {
		if len(s) > room {
			s = s[:room]
		}
		p.search.WriteString(s)
	}
}

// makePreview collapses white space and cuts to maxPreviewRunes
// characters (RFC 8970 §3.1), never inside a UTF-8 sequence.
func makePreview(s string) string {
	var b strings.Builder
	n := 0
	space := false
	for _, r := range s {
		if n >= maxPreviewRunes {
			break
		}
		if unicode.IsSpace(r) || r < ' ' {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			n++
			space = false
			if n >= maxPreviewRunes {
				break
			}
		}
		if r == utf8.RuneError {
			r = '\uFFFD'
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// stripHTML returns the text of an HTML document: tags and comments
// removed (a tag becomes a space), script and style contents dropped,
// character references decoded.
func stripHTML(s string) string {
	var b strings.Builder
	b.Grow(len(s) / 2)
	for len(s) > 0 {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			b.WriteString(html.UnescapeString(s))
			break
		}
		b.WriteString(html.UnescapeString(s[:i]))
		s = s[i:]
		if strings.HasPrefix(s, "<!--") {
			end := strings.Index(s, "-->")
			if end < 0 {
				break
			}
			s = s[end+3:]
			continue
		}
		end := strings.IndexByte(s, '>')
		if end < 0 {
			break
		}
		tag := strings.ToLower(s[1:end])
		s = s[end+1:]
		b.WriteByte(' ')
		for _, skip := range []string{"script", "style"} {
			if strings.HasPrefix(tag, skip) {
				closing := "</" + skip
				j := indexFold(s, closing)
				if j < 0 {
					s = ""
				} else {
					s = s[j:]
				}
			}
		}
	}
	return b.String()
}

// indexFold is a case-insensitive strings.Index for an ASCII lower-case
// needle.
func indexFold(s, needle string) int {
	for i := 0; i+len(needle) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(needle)], needle) {
			return i
		}
	}
	return -1
}
