package bench

import (
	"io"
	"slices"
	"testing"
	"time"
)

func TestRespCodeNumber(t *testing.T) {
	tests := []struct {
		line string
		code string
		want uint64
		ok   bool
	}{
		{"* OK [HIGHESTMODSEQ 715194045007] Highest", "HIGHESTMODSEQ", 715194045007, true},
		{"* OK [UIDVALIDITY 3857529045] UIDs valid", "UIDVALIDITY", 3857529045, true},
		{"* ok [uidvalidity 7] x", "UIDVALIDITY", 7, true},
		{"* OK [UIDNEXT 4392] Predicted next UID", "UIDVALIDITY", 0, false},
		{"* OK [HIGHESTMODSEQ x] bad", "HIGHESTMODSEQ", 0, false},
		{"* OK [HIGHESTMODSEQ 12", "HIGHESTMODSEQ", 0, false},
		{"b1 OK [HIGHESTMODSEQ 12] tagged", "HIGHESTMODSEQ", 0, false},
		{"* OK [HIGHESTMODSEQ -1] neg", "HIGHESTMODSEQ", 0, false},
	}
	for _, tt := range tests {
		got, ok := respCodeNumber([]byte(tt.line), tt.code)
		if got != tt.want || ok != tt.ok {
			t.Errorf("respCodeNumber(%q, %s) = %d, %v; want %d, %v", tt.line, tt.code, got, ok, tt.want, tt.ok)
		}
	}
}

func TestFetchUID(t *testing.T) {
	tests := []struct {
		line string
		want uint32
		ok   bool
	}{
		{`* 12 FETCH (UID 34 FLAGS (\Seen))`, 34, true},
		{`* 12 FETCH (FLAGS (\Seen $BenchResync) UID 99)`, 99, true},
		{`* 1 FETCH (UID 5 MODSEQ (12) FLAGS ())`, 5, true},
		{`* 1 fetch (flags () uid 7)`, 7, true},
		{`* 1 FETCH (FLAGS (UID 3) UID 8)`, 8, true}, // a keyword named UID is not the item
		{`* 1 FETCH (FLAGS (\Seen))`, 0, false},
		{`* 1 FETCH (UID 0)`, 0, false},
		{`* 1 FETCH (UID x)`, 0, false},
		{`* 1 FETCH (UID`, 0, false},
		{`* 1 FETCH`, 0, false},
		{`* 3 EXISTS`, 0, false},
		{`* VANISHED 1:3`, 0, false},
	}
	for _, tt := range tests {
		got, ok := fetchUID([]byte(tt.line))
		if got != tt.want || ok != tt.ok {
			t.Errorf("fetchUID(%q) = %d, %v; want %d, %v", tt.line, got, ok, tt.want, tt.ok)
		}
	}
}

func TestVanishedSet(t *testing.T) {
	tests := []struct {
		line    string
		set     string
		earlier bool
		ok      bool
	}{
		{"* VANISHED (EARLIER) 41,43:116", "41,43:116", true, true},
		{"* vanished (earlier) 5", "5", true, true},
		{"* VANISHED 300:310", "300:310", false, true},
		{"* 3 EXPUNGE", "", false, false},
		{"* VANISHED", "", false, false},
	}
	for _, tt := range tests {
		set, earlier, ok := vanishedSet([]byte(tt.line))
		if set != tt.set || earlier != tt.earlier || ok != tt.ok {
			t.Errorf("vanishedSet(%q) = %q, %v, %v; want %q, %v, %v", tt.line, set, earlier, ok, tt.set, tt.earlier, tt.ok)
		}
	}
}

func TestParseUIDSet(t *testing.T) {
	tests := []struct {
		set   string
		limit int
		want  []uidRange
		n     int
		ok    bool
	}{
		{"41,43:116", 100, []uidRange{{41, 41}, {43, 116}}, 75, true},
		{"9:3", 100, []uidRange{{3, 9}}, 7, true},
		{"1:4294967295", 1 << 24, nil, 0, false}, // over the limit
		{"1:10", 9, nil, 0, false},
		{"1:10", 10, []uidRange{{1, 10}}, 10, true},
		{"", 10, nil, 0, false},
		{"1,,2", 10, nil, 0, false},
		{"0", 10, nil, 0, false},
		{"*", 10, nil, 0, false},
		{"1:*", 10, nil, 0, false},
		{"+5", 10, nil, 0, false},
		{"4294967296", 10, nil, 0, false},
	}
	for _, tt := range tests {
		got, n, err := parseUIDSet(tt.set, tt.limit)
		if (err == nil) != tt.ok || n != tt.n || !slices.Equal(got, tt.want) {
			t.Errorf("parseUIDSet(%q, %d) = %v, %d, %v; want %v, %d, ok=%v", tt.set, tt.limit, got, n, err, tt.want, tt.n, tt.ok)
		}
	}
}

func TestMissing(t *testing.T) {
	rs := []uidRange{{1, 3}, {10, 10}, {20, 30}}
	got := missing(rs, []uint32{1, 3, 4, 10, 11, 25, 31})
	if want := []uint32{4, 11, 31}; !slices.Equal(got, want) {
		t.Errorf("missing = %v, want %v", got, want)
	}
	if got := missing(nil, []uint32{7}); !slices.Equal(got, []uint32{7}) {
		t.Errorf("missing(nil) = %v", got)
	}
}

func TestResyncCheck(t *testing.T) {
	gone := []uint32{5, 50, 51}
	var k resyncCheck
	lines := []string{
		"* OK [CLOSED] Previous mailbox closed",
		"* VANISHED (EARLIER) 5,40:49",
		"* VANISHED (EARLIER) 50:51",
		"* VANISHED 60", // not EARLIER: an ordinary expunge, not counted
	}
	for i := range resyncChanges {
		lines = append(lines, "* "+string(rune('1'+i%9))+" FETCH (UID 1 FLAGS ())")
	}
	for _, l := range lines {
		k.line([]byte(l))
	}
	if err := k.verify("t", gone); err != nil {
		t.Errorf("verify: %v", err)
	}
	if k.count != 13 || k.fetches != resyncChanges {
		t.Errorf("count %d fetches %d", k.count, k.fetches)
	}
	if err := k.verify("t", []uint32{5, 60}); err == nil {
		t.Error("verify passed with UID 60 missing from VANISHED (EARLIER)")
	}
	var few resyncCheck
	few.line([]byte("* VANISHED (EARLIER) 1:100"))
	few.line([]byte("* 1 FETCH (UID 200 FLAGS ())"))
	if err := few.verify("t", gone); err == nil {
		t.Error("verify passed with 1 FETCH response")
	}
	var bad resyncCheck
	bad.line([]byte("* VANISHED (EARLIER) 1:x"))
	if err := bad.verify("t", nil); err == nil {
		t.Error("verify passed a malformed VANISHED set")
	}
}

func TestPickUIDs(t *testing.T) {
	uids := make([]uint32, 100)
	for i := range uids {
		uids[i] = uint32(2*i + 1)
	}
	flagged := map[uint32]bool{}
	for _, u := range uids[:50] {
		flagged[u] = true
	}
	f1, g1, err := pickUIDs(uids, flagged, 7, 10)
	if err != nil {
		t.Fatal(err)
	}
	f2, g2, _ := pickUIDs(uids, flagged, 7, 10)
	if !slices.Equal(f1, f2) || !slices.Equal(g1, g2) {
		t.Error("same seed, different picks")
	}
	if len(f1) != 10 || len(g1) != 10 || !slices.IsSorted(g1) {
		t.Fatalf("picks %v %v", f1, g1)
	}
	seen := map[uint32]bool{}
	for _, u := range append(slices.Clone(f1), g1...) {
		if seen[u] {
			t.Errorf("UID %d picked twice", u)
		}
		seen[u] = true
	}
	for _, u := range f1 {
		if flagged[u] {
			t.Errorf("UID %d already flagged, picked for a flag change", u)
		}
	}
	if _, _, err := pickUIDs(uids[:15], nil, 1, 10); err == nil {
		t.Error("picked 20 UIDs among 15")
	}
	if _, _, err := pickUIDs(nil, nil, 1, 10); err == nil {
		t.Error("picked from an empty mailbox")
	}
	if _, _, err := pickUIDs(uids[:50], flagged, 1, 10); err == nil {
		t.Error("picked flag changes among flagged messages only")
	}
}

func TestMedianOf(t *testing.T) {
	got := medianOf([]measured{{30, 3 * time.Second}, {10, time.Second}, {20, 5 * time.Second}})
	if got != (measured{20, 3 * time.Second}) {
		t.Errorf("medianOf = %v", got)
	}
	if got := medianOf(nil); got != (measured{}) {
		t.Errorf("medianOf(nil) = %v", got)
	}
}

func TestUIDSetString(t *testing.T) {
	if got := uidSetString([]uint32{3, 10, 42}); got != "3,10,42" {
		t.Errorf("uidSetString = %q", got)
	}
}

func TestResyncRegistered(t *testing.T) {
	sc, ok := findScenario("resync")
	if !ok || !sc.needsServer || sc.run == nil {
		t.Fatalf("resync scenario: %v %+v", ok, sc)
	}
	if _, err := parseFlags([]string{"--scenario", "resync", "--target", "127.0.0.1:1"}, io.Discard); err == nil {
		t.Error("resync accepted without --password")
	}
}
