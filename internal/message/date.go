package message

import (
	"strconv"
	"strings"
	"time"
)

// ParseDate parses an RFC 5322 §3.3 date-time leniently, as mail software
// must: the day name is optional, comments are ignored, seconds may be
// missing, the obsolete forms of §4.3 are accepted (two- and three-digit
// years, named zones UT/GMT/EST…/PDT, military letters read as +0000),
// "." may separate time fields, and a missing zone means +0000. It is used
// for SEARCH SENTBEFORE/SENTON/SENTSINCE (RFC 9051 §6.4.4).
func ParseDate(s string) (time.Time, bool) {
	// Drop comments and split on white space and commas.
	var clean strings.Builder
	l := &lexer{s: s}
	for l.i < len(s) {
		if s[l.i] == '(' {
			l.comment()
			clean.WriteByte(' ')
			continue
		}
		clean.WriteByte(s[l.i])
		l.i++
	}
	f := strings.FieldsFunc(clean.String(), func(r rune) bool {
		return r == ' ' || r == '\t' || r == ',' || r == '\r' || r == '\n'
	})
	if len(f) > 0 && len(f[0]) >= 3 && isLetters(f[0]) {
		if _, ok := monthNum(f[0]); !ok {
			f = f[1:] // day name
		}
	}
	if len(f) < 3 {
		return time.Time{}, false
	}
	var day, year int
	var mon time.Month
	var ok bool
	// "1 Jan 2020" or, leniently, "Jan 1 2020".
	if d, err := strconv.Atoi(f[0]); err == nil {
		day = d
		if mon, ok = monthNum(f[1]); !ok {
			return time.Time{}, false
		}
	} else if mon, ok = monthNum(f[0]); ok {
		if day, err = strconv.Atoi(f[1]); err != nil {
			return time.Time{}, false
		}
	} else {
		return time.Time{}, false
	}
	y, err := strconv.Atoi(f[2])
	if err != nil || y < 0 {
		return time.Time{}, false
	}
	switch {
	case len(f[2]) <= 2 && y < 50:
		year = 2000 + y
	case len(f[2]) <= 3 && y < 1000:
		year = 1900 + y
	default:
		year = y
	}
	if day < 1 || day > 31 || year > 9999 {
		return time.Time{}, false
	}
	var hh, mm, ss int
	loc := time.UTC
	if len(f) > 3 {
		parts := strings.FieldsFunc(f[3], func(r rune) bool { return r == ':' || r == '.' })
		if len(parts) < 2 || len(parts) > 3 {
			return time.Time{}, false
		}
		var nums [3]int
		for i, p := range parts {
			n, err := strconv.Atoi(p)
			if err != nil || n < 0 {
				return time.Time{}, false
			}
			nums[i] = n
		}
		hh, mm, ss = nums[0], nums[1], nums[2]
		if hh > 23 || mm > 59 || ss > 60 {
			return time.Time{}, false
		}
		if len(f) > 4 {
			if off, ok := zoneOffset(f[4]); ok {
				loc = time.FixedZone("", off)
			}
		}
	}
	t := time.Date(year, mon, day, hh, mm, ss, 0, loc)
	if t.Day() != day {
		return time.Time{}, false // e.g. 31 Feb
	}
	return t, true
}

func isLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

func monthNum(s string) (time.Month, bool) {
	if len(s) < 3 {
		return 0, false
	}
	switch strings.ToLower(s[:3]) {
	case "jan":
		return time.January, true
	case "feb":
		return time.February, true
	case "mar":
		return time.March, true
	case "apr":
		return time.April, true
	case "may":
		return time.May, true
	case "jun":
		return time.June, true
	case "jul":
		return time.July, true
	case "aug":
		return time.August, true
	case "sep":
		return time.September, true
	case "oct":
		return time.October, true
	case "nov":
		return time.November, true
	case "dec":
		return time.December, true
	}
	return 0, false
}

// zoneOffset returns the offset in seconds of a zone: ±hhmm (§3.3) or an
// obsolete name (§4.3).
func zoneOffset(z string) (int, bool) {
	if len(z) == 5 && (z[0] == '+' || z[0] == '-') {
		n, err := strconv.Atoi(z[1:])
		if err != nil {
			return 0, false
		}
		off := (n/100)*3600 + (n%100)*60
		if z[0] == '-' {
			off = -off
		}
		return off, true
	}
	switch strings.ToUpper(z) {
	case "UT", "UTC", "GMT", "Z":
		return 0, true
	case "EDT":
		return -4 * 3600, true
	case "EST", "CDT":
		return -5 * 3600, true
	case "CST", "MDT":
		return -6 * 3600, true
	case "MST", "PDT":
		return -7 * 3600, true
	case "PST":
		return -8 * 3600, true
	}
	// Military zones and anything else: RFC 5322 §4.3 says treat as +0000.
	return 0, true
}
