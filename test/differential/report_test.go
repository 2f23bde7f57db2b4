package differential

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"testing"
)

// report accumulates the comparison: per item, values compared and
// identical; per difference class, a count and the first example.
type report struct {
	compared, identical map[string]int
	order               []string // items in first-seen order
	classes             map[string]*class
	// notes are appended to the class keys of a message's differences
	// (by message name), for a property of the message that explains them.
	notes map[string]string
}

// class is one class of difference.
type class struct {
	count   int
	example string
}

func newReport() *report {
	return &report{compared: map[string]int{}, identical: map[string]int{}, classes: map[string]*class{}, notes: map[string]string{}}
}

// compare records one value pair: d from Dovecot, p from Petrel (nil
// when the server sent no such item). item is the exact item name,
// group the name statistics are kept under.
func (r *report) compare(msg string, seq int, item string, d, p *value, group string) {
	r.compareAs(msg, seq, item, d, p, group, "")
}

// compareAs is compare with the class of a difference given (when not
// empty) instead of derived by classify.
func (r *report) compareAs(msg string, seq int, item string, d, p *value, group, note string) {
	if _, ok := r.compared[group]; !ok {
		r.order = append(r.order, group)
	}
	r.compared[group]++
	if d != nil && p != nil && bytes.Equal(d.Raw, p.Raw) {
		r.identical[group]++
		return
	}
	if note == "" {
		note = classify(group, d, p)
	}
	key := group + " " + note + r.notes[msg]
	c := r.classes[key]
	if c == nil {
		c = &class{example: fmt.Sprintf("%s (seq %d) %s\n\t\tdovecot: %s\n\t\tpetrel:  %s", msg, seq, item, show(d), show(p))}
		r.classes[key] = c
	}
	c.count++
}

// show prints a value for a report, shortened.
func show(v *value) string {
	if v == nil {
		return "(absent)"
	}
	s := fmt.Sprintf("%q", v.Raw)
	if len(s) > 600 {
		s = s[:600] + "…"
	}
	return s
}

// share is the overall share of identical values.
func (r *report) share() float64 {
	var n, same int
	for k, v := range r.compared {
		n += v
		same += r.identical[k]
	}
	if n == 0 {
		return 0
	}
	return float64(same) / float64(n)
}

// classKeys returns the class keys, most frequent first.
func (r *report) classKeys() []string {
	keys := make([]string, 0, len(r.classes))
	for k := range r.classes {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		ci, cj := r.classes[keys[i]].count, r.classes[keys[j]].count
		if ci != cj {
			return ci > cj
		}
		return keys[i] < keys[j]
	})
	return keys
}

// log writes the report to the test log.
func (r *report) log(t *testing.T) {
	var b strings.Builder
	var n, same int
	fmt.Fprintf(&b, "identical / compared per item:\n")
	for _, k := range r.order {
		n += r.compared[k]
		same += r.identical[k]
		fmt.Fprintf(&b, "  %-60s %6d / %6d  %8.3f%%\n", k, r.identical[k], r.compared[k], 100*float64(r.identical[k])/float64(r.compared[k]))
	}
	fmt.Fprintf(&b, "  %-60s %6d / %6d  %8.3f%%\n", "overall", same, n, 100*r.share())
	fmt.Fprintf(&b, "difference classes (%d):\n", len(r.classes))
	for _, k := range r.classKeys() {
		c := r.classes[k]
		fmt.Fprintf(&b, "  %5d  %s\n\t%s\n", c.count, k, c.example)
	}
	t.Log(b.String())
}

// classify names the kind of difference between d and p for an item.
// Structured items name the field where they first differ (e.g.
// "text.lines: value"); sections describe the bytes.
func classify(item string, d, p *value) string {
	switch {
	case d == nil && p == nil:
		return "absent from both"
	case d == nil:
		return "absent from dovecot"
	case p == nil:
		return "absent from petrel"
	}
	if status(d) != "OK" || status(p) != "OK" {
		return fmt.Sprintf("dovecot %s, petrel %s", status(d), status(p))
	}
	switch item {
	case "ENVELOPE":
		path, a, b := firstDiff(d, p, nil)
		return envelopeLabel(path) + ": " + diffKind(a, b)
	case "BODYSTRUCTURE", "BODY":
		path, a, b := firstDiff(d, p, nil)
		return bodyLabel(d, path) + ": " + diffKind(a, b)
	}
	return diffKind(d, p)
}

// status is "NO", "BAD" or statusDisconnected for a failed command,
// else "OK".
func status(v *value) string {
	if s := string(v.Raw); s == "NO" || s == "BAD" || s == statusDisconnected {
		return s
	}
	return "OK"
}

// firstDiff descends into lists of equal length to the first differing
// element and returns its index path and the two values there.
func firstDiff(a, b *value, path []int) ([]int, *value, *value) {
	if a.Kind != kindList || b.Kind != kindList || len(a.Items) != len(b.Items) {
		return path, a, b
	}
	for i := range a.Items {
		if !bytes.Equal(a.Items[i].Raw, b.Items[i].Raw) {
			return firstDiff(a.Items[i], b.Items[i], append(path, i))
		}
	}
	return path, a, b
}

// diffKind describes how two values differ.
func diffKind(d, p *value) string {
	switch {
	case d.Kind == kindNil && p.Kind != kindNil:
		return "dovecot NIL"
	case p.Kind == kindNil && d.Kind != kindNil:
		return "petrel NIL"
	case d.isString() && p.isString() && bytes.Equal(d.Str, p.Str):
		return "quoted vs literal"
	case d.Kind == kindList && p.Kind == kindList && len(d.Items) != len(p.Items):
		return fmt.Sprintf("list length dovecot %d petrel %d", len(d.Items), len(p.Items))
	case d.Kind != p.Kind && !(d.isString() && p.isString()):
		return "kind"
	case d.isString() && p.isString():
		return stringDiff(d.Str, p.Str)
	}
	return "value"
}

// stringDiff describes how two strings differ.
func stringDiff(d, p []byte) string {
	switch {
	case bytes.EqualFold(d, p):
		return "case"
	case bytes.HasPrefix(d, p):
		return "petrel shorter"
	case bytes.HasPrefix(p, d):
		return "petrel longer"
	case len(d) == len(p):
		return "same length, other bytes"
	}
	return "value"
}

var envelopeFields = []string{"date", "subject", "from", "sender", "reply-to", "to", "cc", "bcc", "in-reply-to", "message-id"}
var addressFields = []string{"name", "adl", "mailbox", "host"}

// envelopeLabel names the envelope field at an index path.
func envelopeLabel(path []int) string {
	if len(path) == 0 {
		return "envelope"
	}
	if path[0] >= len(envelopeFields) {
		return "envelope.extra"
	}
	s := envelopeFields[path[0]]
	if len(path) >= 3 && path[2] < len(addressFields) {
		s += "." + addressFields[path[2]]
	} else if len(path) == 2 {
		s += ".address"
	}
	return s
}

// bodyLabel names the body structure field at an index path of bs,
// by media type ("text.lines", "multipart.params", "message/rfc822
// envelope.subject", …); part numbers are left out so that classes group.
func bodyLabel(bs *value, path []int) string {
	v := bs
	for i, idx := range path {
		if v.Kind != kindList || idx >= len(v.Items) {
			return "?"
		}
		if len(v.Items) > 0 && v.Items[0].Kind == kindList { // multipart
			nchild := 0
			for nchild < len(v.Items) && v.Items[nchild].Kind == kindList {
				nchild++
			}
			if idx < nchild {
				v = v.Items[idx]
				continue
			}
			return "multipart." + fieldName([]string{"subtype", "params", "disposition", "language", "location"}, idx-nchild, path[i+1:])
		}
		typ := strings.ToLower(string(v.Items[0].Str))
		sub := ""
		if len(v.Items) > 1 {
			sub = strings.ToLower(string(v.Items[1].Str))
		}
		basic := []string{"type", "subtype", "params", "id", "description", "encoding", "size"}
		var fields []string
		label := "basic"
		switch {
		case typ == "text":
			fields, label = append(basic, "lines", "md5", "disposition", "language", "location"), "text"
		case typ == "message" && (sub == "rfc822" || sub == "global"):
			if idx == 7 {
				return "message/rfc822 " + envelopeLabel(path[i+1:])
			}
			if idx == 8 {
				v = v.Items[idx]
				continue
			}
			fields, label = append(basic, "envelope", "body", "lines", "md5", "disposition", "language", "location"), "message/rfc822"
		default:
			fields = append(basic, "md5", "disposition", "language", "location")
		}
		return label + "." + fieldName(fields, idx, path[i+1:])
	}
	return "structure"
}

// fieldName returns fields[idx] (or "extension"), with a hint at the
// element inside it when the difference is deeper.
func fieldName(fields []string, idx int, rest []int) string {
	name := "extension"
	if idx < len(fields) {
		name = fields[idx]
	}
	if len(rest) > 0 {
		name += ".item"
	}
	return name
}

func TestClassify(t *testing.T) {
	parse := func(s string) *value {
		p := &parser{b: []byte(s)}
		v, err := p.value(0)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		return v
	}
	tests := []struct{ item, d, p, want string }{
		{"ENVELOPE", `(NIL "a" NIL)`, `(NIL NIL NIL)`, "subject: petrel NIL"},
		{"ENVELOPE", `(NIL NIL ((NIL NIL "x" "y")))`, `(NIL NIL ((NIL NIL "x" "z")))`, "from.host: same length, other bytes"},
		{"BODYSTRUCTURE", `("text" "plain" NIL NIL NIL "7bit" 3 1 NIL NIL NIL NIL)`, `("text" "plain" NIL NIL NIL "7bit" 3 2 NIL NIL NIL NIL)`, "text.lines: value"},
		{"BODYSTRUCTURE", `(("text" "plain" NIL NIL NIL "7bit" 3 1) "mixed" ("boundary" "x"))`, `(("text" "plain" NIL NIL NIL "7bit" 3 1) "mixed" ("boundary" "y"))`, "multipart.params.item: same length, other bytes"},
		{"BODY[TEXT]", "{2}\r\nab", `"ab"`, "quoted vs literal"},
		{"BODY[TEXT]", `"abc"`, `"ab"`, "petrel shorter"},
		{"BINARY.SIZE[n]", "NO", "12", "dovecot NO, petrel OK"},
	}
	for _, tt := range tests {
		if got := classify(tt.item, parse(tt.d), parse(tt.p)); got != tt.want {
			t.Errorf("classify(%s, %s, %s) = %q, want %q", tt.item, tt.d, tt.p, got, tt.want)
		}
	}
	if got := classify("BODY", nil, parse("NIL")); got != "absent from dovecot" {
		t.Errorf("absent: %q", got)
	}
}

func TestPartPaths(t *testing.T) {
	parse := func(s string) *value {
		p := &parser{b: []byte(s)}
		v, err := p.value(0)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		return v
	}
	text := `("text" "plain" NIL NIL NIL "7bit" 1 1 NIL NIL NIL NIL)`
	env := `(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)`
	tests := []struct{ bs, want string }{
		{text, "1"},
		{"(" + text + text + ` "mixed" NIL NIL NIL NIL)`, "1 2"},
		{`("message" "rfc822" NIL NIL NIL "7bit" 9 ` + env + " " + text + " 1 NIL NIL NIL NIL)", "1* 1.1"},
		{"(" + text + `("message" "rfc822" NIL NIL NIL "7bit" 9 ` + env + " (" + text + text + ` "alternative") 3 NIL NIL NIL NIL) "mixed")`, "1 2* 2.1 2.2"},
		{"((" + text + text + ` "alternative")` + text + ` "mixed")`, "1* 1.1 1.2 2"},
	}
	for _, tt := range tests {
		var got []string
		for _, p := range partPaths(parse(tt.bs)) {
			s := p.path
			if p.container {
				s += "*"
			}
			got = append(got, s)
		}
		if got := strings.Join(got, " "); got != tt.want {
			t.Errorf("partPaths(%s) = %q, want %q", tt.bs, got, tt.want)
		}
	}
}

func TestGenericItem(t *testing.T) {
	for in, want := range map[string]string{
		"BODY[2.1]":      "BODY[n]",
		"BODY[1.MIME]":   "BODY[n.MIME]",
		"BINARY.SIZE[3]": "BINARY.SIZE[n]",
		"BODY[HEADER]":   "BODY[HEADER]",
		"ENVELOPE":       "ENVELOPE",
	} {
		if got := genericItem(in); got != want {
			t.Errorf("genericItem(%q) = %q, want %q", in, got, want)
		}
	}
}
