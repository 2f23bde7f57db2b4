package wire

import (
	"time"

	"petrel.dev/petrel/internal/imap"
)

// SEARCH.
//
// RFC 9051 §9: search = "SEARCH" [search-return-opts] SP search-program;
// search-program = ["CHARSET" SP charset SP] search-key *(SP search-key).
// RFC 3501 §9 adds NEW, OLD and RECENT; RFC 7162 §3.1.5 adds
// MODSEQ [SP entry-name SP entry-type-req] SP mod-sequence-valzer.
// NOT and OR nesting counts towards MaxDepth like parentheses do.

// searchFlagKeys are the search keys without arguments.
var searchFlagKeys = map[string]imap.SearchOp{
	"ALL": imap.SearchAll, "ANSWERED": imap.SearchAnswered, "DELETED": imap.SearchDeleted,
	"DRAFT": imap.SearchDraft, "FLAGGED": imap.SearchFlagged, "SEEN": imap.SearchSeen,
	"UNANSWERED": imap.SearchUnanswered, "UNDELETED": imap.SearchUndeleted, "UNDRAFT": imap.SearchUndraft,
	"UNFLAGGED": imap.SearchUnflagged, "UNSEEN": imap.SearchUnseen,
	"NEW": imap.SearchNew, "OLD": imap.SearchOld, "RECENT": imap.SearchRecent,
	// RFC 8514 §4.3: every mailbox supports the save date.
	"SAVEDATESUPPORTED": imap.SearchAll,
}

// searchStringKeys take one astring.
var searchStringKeys = map[string]imap.SearchOp{
	"BCC": imap.SearchBcc, "CC": imap.SearchCc, "FROM": imap.SearchFrom, "TO": imap.SearchTo,
	"SUBJECT": imap.SearchSubject, "BODY": imap.SearchBody, "TEXT": imap.SearchText,
	"EMAILID": imap.SearchEmailID, "THREADID": imap.SearchThreadID,
}

// searchDateKeys take one date.
var searchDateKeys = map[string]imap.SearchOp{
	"BEFORE": imap.SearchBefore, "ON": imap.SearchOn, "SINCE": imap.SearchSince,
	"SENTBEFORE": imap.SearchSentBefore, "SENTON": imap.SearchSentOn, "SENTSINCE": imap.SearchSentSince,
	"SAVEDBEFORE": imap.SearchSavedBefore, "SAVEDON": imap.SearchSavedOn, "SAVEDSINCE": imap.SearchSavedSince,
}

func parseSearch(d *Decoder, c *imap.Command) error {
	args := &imap.SearchArgs{}
	if err := d.sp(); err != nil {
		return err
	}
	first := true
	var keys []imap.SearchKey
	for {
		ch, err := d.peek()
		if err != nil {
			return err
		}
		if first && (ch == 'R' || ch == 'r' || ch == 'C' || ch == 'c') {
			// RETURN (...) and CHARSET x come before the keys; they are
			// not search keys, so an atom starting the program decides.
			a, err := d.atom("search key")
			if err != nil {
				return err
			}
			switch up := toUpper(a); {
			case up == "RETURN" && !args.Return.Present && args.Charset == "":
				if err := d.sp(); err != nil {
					return err
				}
				if err := d.searchReturn(&args.Return); err != nil {
					return err
				}
			case up == "CHARSET" && args.Charset == "":
				if err := d.sp(); err != nil {
					return err
				}
				cs, err := d.astring("charset")
				if err != nil {
					return err
				}
				if cs == "" {
					return bad("empty charset name")
				}
				args.Charset = toUpper(cs)
			default:
				first = false
				k, err := d.searchKeyNamed(a, 0)
				if err != nil {
					return err
				}
				keys = append(keys, k)
			}
		} else {
			first = false
			k, err := d.searchKey(0)
			if err != nil {
				return err
			}
			keys = append(keys, k)
		}
		if eol, err := d.atEOL(); err != nil || eol {
			if err != nil {
				return err
			}
			break
		}
		if err := d.sp(); err != nil {
			return err
		}
	}
	if len(keys) == 0 {
		return bad("missing search criteria")
	}
	args.Key = andOf(keys)
	c.Args = args
	return nil
}

// andOf returns the single key, or an AND of several.
func andOf(keys []imap.SearchKey) imap.SearchKey {
	if len(keys) == 1 {
		return keys[0]
	}
	return imap.SearchKey{Op: imap.SearchAnd, Sub: keys}
}

// searchReturn reads "(" [search-return-opt *(SP search-return-opt)] ")"
// (RFC 4731 §3.1, RFC 5182 §2); an empty list means ALL.
func (d *Decoder) searchReturn(r *imap.SearchReturn) error {
	r.Present = true
	err := d.paramList("SEARCH return option", func(name string) error {
		switch name {
		case "MIN":
			r.Min = true
		case "MAX":
			r.Max = true
		case "ALL":
			r.All = true
		case "COUNT":
			r.Count = true
		case "SAVE":
			r.Save = true
		default:
			return bad("unknown SEARCH return option %.40s", name)
		}
		return nil
	})
	if err == nil && !r.Min && !r.Max && !r.All && !r.Count && !r.Save {
		r.All = true
	}
	return err
}

// searchKey reads one search-key at nesting depth depth.
func (d *Decoder) searchKey(depth int) (imap.SearchKey, error) {
	if depth >= d.lim.MaxDepth {
		return imap.SearchKey{}, bad("search criteria nested too deeply (limit %d)", d.lim.MaxDepth)
	}
	ch, err := d.peek()
	if err != nil {
		return imap.SearchKey{}, err
	}
	switch {
	case ch == '(':
		if err := d.consume(); err != nil {
			return imap.SearchKey{}, err
		}
		var keys []imap.SearchKey
		for {
			k, err := d.searchKey(depth + 1)
			if err != nil {
				return imap.SearchKey{}, err
			}
			keys = append(keys, k)
			if ch, err := d.peek(); err != nil {
				return imap.SearchKey{}, err
			} else if ch == ')' {
				return andOf(keys), d.consume()
			}
			if err := d.sp(); err != nil {
				return imap.SearchKey{}, err
			}
		}
	case isSeqChar(ch):
		set, err := d.seqSet()
		return imap.SearchKey{Op: imap.SearchSeqSet, Set: set}, err
	}
	a, err := d.atom("search key")
	if err != nil {
		return imap.SearchKey{}, err
	}
	return d.searchKeyNamed(a, depth)
}

// searchKeyNamed reads the arguments of the search key named a.
func (d *Decoder) searchKeyNamed(a string, depth int) (imap.SearchKey, error) {
	name := toUpper(a)
	var k imap.SearchKey
	if op, ok := searchFlagKeys[name]; ok {
		k.Op = op
		return k, nil
	}
	if op, ok := searchStringKeys[name]; ok {
		k.Op = op
		if err := d.sp(); err != nil {
			return k, err
		}
		s, err := d.astring(name + " string")
		k.Str = s
		return k, err
	}
	if op, ok := searchDateKeys[name]; ok {
		k.Op = op
		if err := d.sp(); err != nil {
			return k, err
		}
		t, err := d.searchDate()
		k.Date = t
		return k, err
	}
	if err := d.sp(); err != nil {
		if name == "NOT" || name == "OR" || name == "KEYWORD" || name == "UNKEYWORD" ||
			name == "HEADER" || name == "LARGER" || name == "SMALLER" || name == "UID" || name == "MODSEQ" {
			return k, err
		}
		return k, bad("unknown search key %.40s", a)
	}
	var err error
	switch name {
	case "NOT":
		k.Op = imap.SearchNot
		sub, err := d.searchKey(depth + 1)
		k.Sub = []imap.SearchKey{sub}
		return k, err
	case "OR":
		k.Op = imap.SearchOr
		a, err := d.searchKey(depth + 1)
		if err != nil {
			return k, err
		}
		if err := d.sp(); err != nil {
			return k, err
		}
		b, err := d.searchKey(depth + 1)
		k.Sub = []imap.SearchKey{a, b}
		return k, err
	case "KEYWORD", "UNKEYWORD":
		k.Op = imap.SearchKeyword
		if name == "UNKEYWORD" {
			k.Op = imap.SearchUnkeyword
		}
		k.Str, err = d.atom("keyword")
	case "HEADER":
		k.Op = imap.SearchHeader
		if k.Field, err = d.astring("header field name"); err != nil {
			return k, err
		}
		if err := d.sp(); err != nil {
			return k, err
		}
		k.Str, err = d.astring("header search string")
	case "LARGER", "SMALLER":
		k.Op = imap.SearchLarger
		if name == "SMALLER" {
			k.Op = imap.SearchSmaller
		}
		var n uint64
		n, err = d.number64(name+" size", maxNumber64)
		k.Num = int64(n)
	case "UID":
		k.Op = imap.SearchUIDSet
		k.Set, err = d.seqSet()
	case "MODSEQ":
		k.Op = imap.SearchModSeq
		if ch, perr := d.peek(); perr != nil {
			return k, perr
		} else if ch == '"' {
			// RFC 7162 §3.1.5: entry-name SP entry-type-req; the
			// per-flag refinement is accepted and ignored.
			if _, err := d.quoted(); err != nil {
				return k, err
			}
			if err := d.sp(); err != nil {
				return k, err
			}
			typ, err := d.atom("MODSEQ entry type")
			if err != nil {
				return k, err
			}
			if t := toUpper(typ); t != "PRIV" && t != "SHARED" && t != "ALL" {
				return k, bad("MODSEQ entry type must be priv, shared or all")
			}
			if err := d.sp(); err != nil {
				return k, err
			}
		}
		var n uint64
		n, err = d.number64("MODSEQ value", maxNumber64)
		k.Num = int64(n)
	default:
		return k, bad("unknown search key %.40s", a)
	}
	return k, err
}

var months = [...]string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}

// searchDate reads RFC 9051 date = date-text / DQUOTE date-text DQUOTE;
// date-text = date-day "-" date-month "-" date-year.
func (d *Decoder) searchDate() (time.Time, error) {
	ch, err := d.peek()
	if err != nil {
		return time.Time{}, err
	}
	quoted := ch == '"'
	if quoted {
		if err := d.consume(); err != nil {
			return time.Time{}, err
		}
	}
	t, err := d.dateText(false)
	if err != nil {
		return t, err
	}
	if quoted {
		if err := d.expect('"', `closing quote of date`); err != nil {
			return t, err
		}
	}
	return t, nil
}

// dateText reads d?d-Mon-yyyy (with fixed, a space may pad the day:
// date-day-fixed) and returns midnight UTC of that day.
func (d *Decoder) dateText(fixed bool) (time.Time, error) {
	var day int
	ch, err := d.peek()
	if err != nil {
		return time.Time{}, err
	}
	if fixed && ch == ' ' {
		if err := d.consume(); err != nil {
			return time.Time{}, err
		}
	}
	s, err := d.token(isDigit, "day of month")
	if err != nil {
		return time.Time{}, err
	}
	if len(s) > 2 {
		return time.Time{}, bad("invalid day of month %.10s", s)
	}
	for _, c := range []byte(s) {
		day = day*10 + int(c-'0')
	}
	if err := d.expect('-', `"-" in date`); err != nil {
		return time.Time{}, err
	}
	m, err := d.token(func(c byte) bool { return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') }, "month")
	if err != nil {
		return time.Time{}, err
	}
	month := 0
	for i, name := range months {
		if eqFold(m, name) {
			month = i + 1
		}
	}
	if month == 0 {
		return time.Time{}, bad("invalid month %.10s (expected Jan..Dec)", m)
	}
	if err := d.expect('-', `"-" in date`); err != nil {
		return time.Time{}, err
	}
	y, err := d.token(isDigit, "year")
	if err != nil {
		return time.Time{}, err
	}
	if len(y) != 4 {
		return time.Time{}, bad("invalid year %.10s (expected 4 digits)", y)
	}
	year := 0
	for _, c := range []byte(y) {
		year = year*10 + int(c-'0')
	}
	t := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	if day < 1 || t.Day() != day {
		return time.Time{}, bad("invalid date: %s has no day %d", time.Month(month), day)
	}
	return t, nil
}
