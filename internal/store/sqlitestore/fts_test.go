package sqlitestore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"petrel.dev/petrel/internal/message"
	"petrel.dev/petrel/internal/store"
)

func TestFTSQuery(t *testing.T) {
	tests := []struct {
		needle string
		want   string // "" when not indexable
	}{
		{"", ""},
		{"AB", ""},
		{"ÉÉ", ""}, // 4 bytes, 2 characters
		{"ABC", `"ABC"`},
		{"ABCD", `"ABC" AND "BCD"`},
		{"ABCDE", `"ABC" AND "CDE"`},
		{"ABCDEF", `"ABC" AND "CDE" AND "DEF"`},
		{"A B", `"A B"`},
		{`A"BC`, `"A""B" AND """BC"`},
		{"ÉTÉ!", `"ÉTÉ" AND "TÉ!"`},
		{"AB\x00C", ""},
		{"AB\xffCD", ""},
		{strings.Repeat("X", 100), strings.TrimSuffix(strings.Repeat(`"XXX" AND `, ftsMaxTrigrams), " AND ")},
	}
	for _, tt := range tests {
		got, err := ftsQuery(tt.needle)
		if tt.want == "" {
			if err == nil {
				t.Errorf("ftsQuery(%q) = %q, want not indexable", tt.needle, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ftsQuery(%q) = %q, %v; want %q", tt.needle, got, err, tt.want)
		}
	}
	// Long needles use the first and the last trigram, and no more than
	// ftsMaxTrigrams.
	long := strings.Repeat("ABCDEFGHIJKLMNOPQRSTUVWXYZ", 3)
	got, err := ftsQuery(long)
	if err != nil || !strings.HasPrefix(got, `"ABC" AND`) || !strings.HasSuffix(got, `AND "XYZ"`) ||
		strings.Count(got, " AND ") != ftsMaxTrigrams-1 {
		t.Errorf("long needle: %s, %v", got, err)
	}
}

func TestFTSText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"café", "café"},
		{"a\xffb", "a\uFFFDb"},
		{"a\xc3", "a\uFFFD"},
		{"\x80\x80x", "\uFFFDx"},
	}
	for _, tt := range tests {
		if got := ftsText([]byte(tt.in)); got != tt.want {
			t.Errorf("ftsText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// ftsEnv is a test account with helpers to compare the indexed search
// with the plain scan.
type ftsEnv struct {
	t   *testing.T
	ctx context.Context
	s   *Store
	a   store.Account
	ac  *Account
	mb  *Mailbox
}

func newFTSEnv(t *testing.T) *ftsEnv {
	ctx := context.Background()
	s, _ := openTest(t)
	a, err := s.OpenAccount(ctx, "u")
	if err != nil {
		t.Fatal(err)
	}
	m, err := a.Mailbox(ctx, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	return &ftsEnv{t: t, ctx: ctx, s: s, a: a, ac: a.(*Account), mb: m.(*Mailbox)}
}

// catchUp indexes everything synchronously.
func (e *ftsEnv) catchUp() {
	e.t.Helper()
	if err := e.ac.a.catchUp(e.ctx, func(time.Duration) {}, nil); err != nil {
		e.t.Fatal(err)
	}
}

// scan is the search without the index: with watermark 0 every row is
// above it, so every row is a candidate and instr alone decides.
func (e *ftsEnv) scan(uids []uint32, needles []string, sc scope) []uint32 {
	e.t.Helper()
	folded := make([]string, len(needles))
	for i, n := range needles {
		folded[i] = message.Fold(n)
	}
	q, args, filter := searchQuery(e.mb.id, uids, folded, sc, 0)
	rows, err := e.ac.a.db.r.QueryContext(e.ctx, q, args...)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var out []uint32
	for rows.Next() {
		var u uint32
		if err := rows.Scan(&u); err != nil {
			e.t.Fatal(err)
		}
		if filter.has(u) {
			out = append(out, u)
		}
	}
	if err := rows.Err(); err != nil {
		e.t.Fatal(err)
	}
	return out
}

// exactHeader returns those of uids (all when nil) whose header text
// contains every needle, by instr.
func (e *ftsEnv) exactHeader(uids []uint32, needles []string) []uint32 {
	e.t.Helper()
	q := `SELECT m.uid FROM messages m JOIN search s ON s.file_id = m.file_id WHERE m.mailbox_id = ?`
	args := []any{e.mb.id}
	for _, n := range needles {
		q += ` AND instr(s.header, ?) > 0`
		args = append(args, []byte(message.Fold(n)))
	}
	rows, err := e.ac.a.db.r.QueryContext(e.ctx, q+` ORDER BY m.uid`, args...)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var out []uint32
	for rows.Next() {
		var u uint32
		if err := rows.Scan(&u); err != nil {
			e.t.Fatal(err)
		}
		if uids == nil || slices.Contains(uids, u) {
			out = append(out, u)
		}
	}
	return out
}

// search runs the real search of scope sc.
func (e *ftsEnv) search(uids []uint32, needles []string, sc scope) []uint32 {
	e.t.Helper()
	got, err := e.mb.search(e.ctx, uids, needles, sc)
	if err != nil {
		e.t.Fatal(err)
	}
	return got
}

// watermark returns the watermark.
func (e *ftsEnv) watermark() int64 {
	e.t.Helper()
	wm, err := ftsWatermark(e.ctx, e.ac.a.db.r)
	if err != nil {
		e.t.Fatal(err)
	}
	return wm
}

// indexRows returns the rowids of an index.
func (e *ftsEnv) indexRows(table string) []int64 {
	e.t.Helper()
	ids, err := queryIDs(e.ctx, e.ac.a.db.r, `SELECT rowid FROM `+table)
	if err != nil {
		e.t.Fatal(err)
	}
	return ids
}

// fileIDs returns the ids of all files up to the watermark.
func (e *ftsEnv) fileIDs(upTo int64) []int64 {
	e.t.Helper()
	ids, err := queryIDs(e.ctx, e.ac.a.db.r, `SELECT id FROM files WHERE id <= ? ORDER BY id`, upTo)
	if err != nil {
		e.t.Fatal(err)
	}
	return ids
}

// Pieces of the random corpus: ASCII words, letters with case and
// compatibility mappings, combining marks, and invalid UTF-8.
var ftsPieces = []string{"alpha", "beta", "Gamma", "DELTA", "kestrel", "harbour", "café", "CAFÉ", "straße",
	"Ünïcode", "ǅ", "ﬁ", "e\u0301", "İ", "ı", "Ω", "ω", "日本語", " ", " ", "-", "\"", "'", "\xff", "\xc3", "\x80",
	"ab", "bc", "abc", "xyz", "a", "z"}

func randomText(r *rand.Rand, n int) string {
	var b strings.Builder
	for range n {
		b.WriteString(ftsPieces[r.IntN(len(ftsPieces))])
	}
	return b.String()
}

// randomMessage builds a message with random header fields (some as
// RFC 2047 encoded-words) and a random body, and returns it with the
// decoded header text and body text it should be found by.
func randomMessage(r *rand.Rand) string {
	subject := randomText(r, 1+r.IntN(4))
	switch r.IntN(3) {
	case 0:
		subject = "=?UTF-8?Q?" + strings.ReplaceAll(strings.ReplaceAll(subject, " ", "_"), "?", "=3F") + "?="
	case 1:
		subject = "  " + subject + " \t"
	}
	from := strings.ReplaceAll(randomText(r, 1+r.IntN(2)), "\"", "") + " <" + ftsPieces[r.IntN(5)] + "@example.org>"
	body := randomText(r, 5+r.IntN(40))
	return "From: " + from + "\r\nSubject: " + subject + "\r\nX-Tag: " + randomText(r, 2) +
		"\r\n\tcontinued " + randomText(r, 1) + "\r\n\r\n" + body + "\r\n"
}

// randomNeedle picks a needle: often a substring of a stored text (so it
// matches), sometimes spanning the header/body boundary, sometimes random.
func randomNeedle(r *rand.Rand, texts []string) string {
	switch r.IntN(4) {
	case 0:
		return randomText(r, 1+r.IntN(2))
	default:
		t := texts[r.IntN(len(texts))]
		if t == "" {
			return "x"
		}
		i := r.IntN(len(t))
		j := min(len(t), i+1+r.IntN(12))
		return t[i:j]
	}
}

// storedTexts returns the search rows' texts, and the ends of each
// header joined to the start of its body (needles spanning the two).
func (e *ftsEnv) storedTexts() []string {
	e.t.Helper()
	rows, err := e.ac.a.db.r.QueryContext(e.ctx, `SELECT body, header FROM search`)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var texts []string
	for rows.Next() {
		var body, header []byte
		if err := rows.Scan(&body, &header); err != nil {
			e.t.Fatal(err)
		}
		texts = append(texts, string(body), string(header),
			string(header[max(0, len(header)-6):])+string(body[:min(len(body), 6)]))
	}
	return texts
}

// TestFTSMatchesScan compares the indexed search with the plain scan on a
// random corpus: indexed messages, messages above the watermark, expunged
// messages of both kinds, shared files, all scopes, UID subsets.
func TestFTSMatchesScan(t *testing.T) {
	e := newFTSEnv(t)
	// Hold off the background catch-up, so that rows stay above the
	// watermark until e.catchUp.
	indexing.Store(e.ac.a, struct{}{})
	defer indexing.Delete(e.ac.a)
	r := rand.New(rand.NewPCG(1, 2))
	var uids []uint32
	add := func(n int) {
		for range n {
			res := appendString(t, e.a, "INBOX", randomMessage(r))
			uids = append(uids, res.UID)
		}
	}
	expunge := func(n int) {
		var del []uint32
		for range n {
			del = append(del, uids[r.IntN(len(uids))])
		}
		if _, err := e.mb.StoreFlags(e.ctx, del, store.FlagsAdd, []string{`\Deleted`}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.mb.Expunge(e.ctx, del); err != nil {
			t.Fatal(err)
		}
	}
	add(120)
	// Shared files survive an expunge from INBOX.
	if _, err := e.mb.Copy(e.ctx, uids[:10], "Archive"); err != nil {
		t.Fatal(err)
	}
	e.catchUp()
	expunge(20) // indexed files
	add(60)     // above the watermark
	expunge(10) // some not indexed yet
	if wm := e.watermark(); wm == 0 {
		t.Fatal("nothing indexed")
	}
	texts := e.storedTexts()
	check := func(stage string) {
		t.Helper()
		for i := range 400 {
			needles := []string{randomNeedle(r, texts)}
			if i%5 == 0 {
				needles = append(needles, randomNeedle(r, texts))
			}
			var sub []uint32
			switch i % 3 {
			case 1:
				sub = slices.Clone(uids[:len(uids)/2])
			case 2:
				for _, u := range uids {
					if r.IntN(4) == 0 {
						sub = append(sub, u)
					}
				}
				sub = append(sub, 100000) // never existed
			}
			for _, sc := range []scope{scopeBody, scopeText} {
				want := e.scan(sub, needles, sc)
				got := e.search(sub, needles, sc)
				if !slices.Equal(got, want) {
					t.Fatalf("%s: search(%q, scope %d) = %v, scan %v", stage, needles, sc, got, want)
				}
			}
			// The header prefilter: a superset of the exact header
			// matches, within the messages asked for.
			want := e.exactHeader(sub, needles)
			got := e.search(sub, needles, scopeHeader)
			for _, u := range want {
				if _, ok := slices.BinarySearch(got, u); !ok {
					t.Fatalf("%s: header search(%q) = %v misses %d (exact %v)", stage, needles, got, u, want)
				}
			}
			all := e.exactHeader(sub, nil)
			for _, u := range got {
				if _, ok := slices.BinarySearch(all, u); !ok {
					t.Fatalf("%s: header search(%q) = %v returns %d, not asked for", stage, needles, got, u)
				}
			}
		}
	}
	check("partly indexed")
	e.catchUp()
	check("indexed")
	// The index holds exactly the files up to the watermark.
	wm := e.watermark()
	want := e.fileIDs(wm)
	for _, table := range []string{"search_body_fts", "search_header_fts"} {
		got := e.indexRows(table)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s holds %v, files up to %d are %v", table, got, wm, want)
		}
	}
}

// TestFTSHeaderSuperset checks the claim header keys rely on: every
// message whose field value (message.HeaderValues, folded) contains a
// needle is returned by SearchHeaderText.
func TestFTSHeaderSuperset(t *testing.T) {
	e := newFTSEnv(t)
	r := rand.New(rand.NewPCG(3, 4))
	type msg struct {
		uid    uint32
		header string
	}
	var msgs []msg
	for i := range 150 {
		raw := randomMessage(r)
		res := appendString(t, e.a, "INBOX", raw)
		msgs = append(msgs, msg{res.UID, raw[:strings.Index(raw, "\r\n\r\n")+4]})
		if i == 100 {
			e.catchUp()
		}
	}
	tested := 0
	for range 1000 {
		m := msgs[r.IntN(len(msgs))]
		field := []string{"From", "Subject", "X-Tag"}[r.IntN(3)]
		vals := message.HeaderValues([]byte(m.header), field)
		if len(vals) == 0 {
			t.Fatalf("no %s in %q", field, m.header)
		}
		// A raw piece of the value, folded by the search as header.go
		// folds it; only needles header.go would match are tested.
		v := vals[0]
		if v == "" {
			continue
		}
		i := r.IntN(len(v))
		j := min(len(v), i+1+r.IntN(10))
		needle := v[i:j]
		if !strings.Contains(message.Fold(v), message.Fold(needle)) {
			continue
		}
		tested++
		got, err := e.mb.SearchHeaderText(e.ctx, nil, []string{needle})
		if err != nil {
			t.Fatal(err)
		}
		if _, found := slices.BinarySearch(got, m.uid); !found {
			t.Fatalf("SearchHeaderText(%q) = %v misses %d, whose %s is %q", needle, got, m.uid, field, vals[0])
		}
	}
	if tested < 300 {
		t.Errorf("only %d needles tested", tested)
	}
}

// TestFTSBackground checks that a search starts the catch-up and that it
// reaches the newest file.
func TestFTSBackground(t *testing.T) {
	e := newFTSEnv(t)
	for i := range 3 {
		appendString(t, e.a, "INBOX", fmt.Sprintf("Subject: n%d\r\n\r\nkestrel %d\r\n", i, i))
	}
	if got := e.search(nil, []string{"kestrel"}, scopeBody); len(got) != 3 {
		t.Fatalf("search = %v", got)
	}
	deadline := time.Now().Add(10 * time.Second)
	for e.watermark() < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("watermark %d after 10 s", e.watermark())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := e.search(nil, []string{"kestrel 1"}, scopeBody); !slices.Equal(got, []uint32{2}) {
		t.Errorf("indexed search = %v", got)
	}
	// Wait for the goroutine to leave before the store closes.
	for {
		if _, running := indexing.Load(e.ac.a); !running {
			break
		}
		time.Sleep(time.Millisecond)
	}
}

func TestUIDFilter(t *testing.T) {
	f := &uidFilter{uids: []uint32{2, 5, 9}}
	var got []uint32
	for u := uint32(1); u <= 10; u++ {
		if f.has(u) {
			got = append(got, u)
		}
	}
	if !slices.Equal(got, []uint32{2, 5, 9}) {
		t.Errorf("filter kept %v", got)
	}
	var none *uidFilter
	if !none.has(7) {
		t.Error("nil filter drops")
	}
}
