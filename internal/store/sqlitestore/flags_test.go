package sqlitestore

import (
	"slices"
	"strings"
	"testing"

	"petrel.dev/petrel/internal/store"
)

func TestValidFlag(t *testing.T) {
	tests := []struct {
		f  string
		ok bool
	}{
		{`\Seen`, true},
		{`$Forwarded`, true},
		{`NonJunk`, true},
		{`a.b-c`, true},
		{``, false},
		{`\`, false},
		{`a b`, false},
		{`a\b`, false},
		{`(x`, false},
		{`x)`, false},
		{`{3}`, false},
		{`a%`, false},
		{`a*`, false},
		{`"q"`, false},
		{`a]`, false},
		{"a\x01", false},
		{"é", false},
		{strings.Repeat("k", maxFlagLen+1), false},
	}
	for _, tt := range tests {
		if got := validFlag(tt.f); got != tt.ok {
			t.Errorf("validFlag(%q) = %v, want %v", tt.f, got, tt.ok)
		}
	}
}

func TestApplyFlags(t *testing.T) {
	tests := []struct {
		cur     []string
		mode    store.FlagMode
		given   []string
		want    []string
		changed bool
	}{
		{nil, store.FlagsAdd, []string{`\Seen`}, []string{`\Seen`}, true},
		{[]string{`\Seen`}, store.FlagsAdd, []string{`\seen`}, []string{`\Seen`}, false},
		{[]string{`\Seen`}, store.FlagsAdd, []string{`\Flagged`}, []string{`\Seen`, `\Flagged`}, true},
		{[]string{`\Seen`, `$K`}, store.FlagsRemove, []string{`$k`}, []string{`\Seen`}, true},
		{[]string{`\Seen`}, store.FlagsRemove, []string{`\Draft`}, []string{`\Seen`}, false},
		{[]string{`\Seen`, `\Draft`}, store.FlagsReplace, []string{`\Draft`, `\Seen`}, []string{`\Draft`, `\Seen`}, false},
		{[]string{`\Seen`}, store.FlagsReplace, nil, nil, true},
		{nil, store.FlagsReplace, nil, nil, false},
		{[]string{`\Seen`}, store.FlagMode(42), []string{`\Draft`}, []string{`\Seen`}, false},
	}
	for _, tt := range tests {
		got, changed := applyFlags(tt.cur, tt.mode, tt.given)
		if changed != tt.changed || !sameFlags(got, tt.want) {
			t.Errorf("applyFlags(%v, %d, %v) = %v, %v; want %v, %v", tt.cur, tt.mode, tt.given, got, changed, tt.want, tt.changed)
		}
	}
}

func TestDedupFlags(t *testing.T) {
	got := dedupFlags([]string{`\Seen`, `$A`, `\SEEN`, `$a`, `\Recent`, `\recent`, `$B`})
	if want := []string{`\Seen`, `$A`, `$B`}; !slices.Equal(got, want) {
		t.Errorf("dedupFlags = %v, want %v", got, want)
	}
}

func TestKeywordSetCanon(t *testing.T) {
	k := &keywordSet{spelling: map[string]string{"$label": "$Label"}}
	got, err := k.canon([]string{"$LABEL", `\Seen`, "New", "NEW"}, true)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"$Label", `\Seen`, "New"}; !slices.Equal(got, want) {
		t.Errorf("canon = %v, want %v", got, want)
	}
	if !slices.Equal(k.added, []string{"New"}) {
		t.Errorf("added = %v", k.added)
	}
	got, _ = (&keywordSet{spelling: map[string]string{}}).canon([]string{"Unknown", `\Seen`}, false)
	if !slices.Equal(got, []string{`\Seen`}) {
		t.Errorf("canon without add = %v", got)
	}
	full := &keywordSet{spelling: map[string]string{}}
	for i := range maxKeywords {
		full.spelling[string(rune('a'+i%26))+strings.Repeat("x", i)] = "k"
	}
	if _, err := full.canon([]string{"onemore"}, true); err == nil {
		t.Error("keyword limit not enforced")
	}
}

func TestSplitFlagsInterns(t *testing.T) {
	intern := map[string]string{}
	a := splitFlags(`\Seen $K`, intern)
	b := splitFlags(`\Seen`, intern)
	if !slices.Equal(a, []string{`\Seen`, "$K"}) || !slices.Equal(b, []string{`\Seen`}) {
		t.Fatalf("splitFlags = %v, %v", a, b)
	}
	if splitFlags("", intern) != nil {
		t.Error("splitFlags(\"\") not nil")
	}
	if joinFlags(a) != `\Seen $K` {
		t.Errorf("joinFlags = %q", joinFlags(a))
	}
}
