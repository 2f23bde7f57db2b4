package imap

import (
	"reflect"
	"testing"
)

func TestParseSeqSet(t *testing.T) {
	tests := []struct {
		in      string
		want    SeqSet
		wantErr bool
	}{
		{in: "1", want: SeqSet{Ranges: []SeqRange{{1, 1}}}},
		{in: "*", want: SeqSet{Ranges: []SeqRange{{0, 0}}}},
		{in: "1:*", want: SeqSet{Ranges: []SeqRange{{1, 0}}}},
		{in: "4:2,7,9:*", want: SeqSet{Ranges: []SeqRange{{4, 2}, {7, 7}, {9, 0}}}},
		{in: "4294967295", want: SeqSet{Ranges: []SeqRange{{4294967295, 4294967295}}}},
		{in: "$", want: SeqSet{Saved: true}},
		{in: "", wantErr: true},
		{in: "0", wantErr: true},
		{in: "1:0", wantErr: true},
		{in: "4294967296", wantErr: true},
		{in: "1,", wantErr: true},
		{in: ",1", wantErr: true},
		{in: "1::2", wantErr: true},
		{in: "1:2:3", wantErr: true},
		{in: "a", wantErr: true},
		{in: "$,1", wantErr: true},
		{in: "-1", wantErr: true},
		{in: "+1", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseSeqSet(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseSeqSet(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if err == nil && !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseSeqSet(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestSeqSetString(t *testing.T) {
	for _, s := range []string{"1", "*", "1:*", "4:2,7,9:*", "$", "1:3,5,4294967295"} {
		set, err := ParseSeqSet(s)
		if err != nil {
			t.Fatalf("ParseSeqSet(%q): %v", s, err)
		}
		if got := set.String(); got != s {
			t.Errorf("String() = %q, want %q", got, s)
		}
	}
}

func TestSeqSetContains(t *testing.T) {
	tests := []struct {
		set  string
		n    uint32
		max  uint32
		want bool
	}{
		{"1:3", 2, 10, true},
		{"1:3", 4, 10, false},
		{"3:1", 2, 10, true},
		{"*", 10, 10, true},
		{"*", 9, 10, false},
		{"5:*", 7, 10, true},
		{"5:*", 4, 10, false},
		// "n:*" with n greater than max still matches max (RFC 9051 §6.4.8).
		{"20:*", 10, 10, true},
		{"20:*", 15, 10, true}, // the range is 10:20 once normalised
		{"20:*", 9, 10, false},
		{"1:*", 0, 10, false},
		{"*", 1, 0, false}, // empty mailbox: "*" is nothing
		{"1,3,5", 3, 5, true},
		{"1,3,5", 4, 5, false},
	}
	for _, tt := range tests {
		set, err := ParseSeqSet(tt.set)
		if err != nil {
			t.Fatal(err)
		}
		if got := set.Contains(tt.n, tt.max); got != tt.want {
			t.Errorf("%q.Contains(%d, max %d) = %v, want %v", tt.set, tt.n, tt.max, got, tt.want)
		}
	}
	if (SeqSet{Saved: true}).Contains(1, 10) {
		t.Error(`"$" must contain nothing until resolved`)
	}
}

func TestSeqSetExpand(t *testing.T) {
	tests := []struct {
		set  string
		max  uint32
		want []uint32
	}{
		{"1:*", 0, nil},
		{"*", 0, nil},
		{"1:*", 3, []uint32{1, 2, 3}},
		{"3:1,2,5", 4, []uint32{1, 2, 3}},
		{"20:*", 4, []uint32{4}},
		{"2,1,2:3", 10, []uint32{1, 2, 3}},
		{"4294967295", 4294967295, []uint32{4294967295}},
		{"4294967294:*", 4294967295, []uint32{4294967294, 4294967295}},
		{"7:9", 5, nil},
	}
	for _, tt := range tests {
		set, err := ParseSeqSet(tt.set)
		if err != nil {
			t.Fatal(err)
		}
		var got []uint32
		set.Expand(tt.max, func(n uint32) bool { got = append(got, n); return true })
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q.Expand(%d) = %v, want %v", tt.set, tt.max, got, tt.want)
		}
	}
	// Early stop.
	set, _ := ParseSeqSet("1:*")
	calls := 0
	set.Expand(4294967295, func(uint32) bool { calls++; return calls < 3 })
	if calls != 3 {
		t.Errorf("Expand did not stop when fn returned false: %d calls", calls)
	}
}

func TestSeqSetNormalize(t *testing.T) {
	set, _ := ParseSeqSet("9:*,1:2,3,5:4,2")
	want := []SeqRange{{1, 5}, {9, 10}}
	if got := set.Normalize(10); !reflect.DeepEqual(got, want) {
		t.Errorf("Normalize = %v, want %v", got, want)
	}
	if got := (SeqSet{Saved: true}).Normalize(10); len(got) != 0 {
		t.Errorf(`Normalize("$") = %v, want empty`, got)
	}
}

func TestSeqSetFromNums(t *testing.T) {
	tests := []struct {
		in   []uint32
		want string
	}{
		{nil, ""},
		{[]uint32{5}, "5"},
		{[]uint32{3, 1, 2, 7}, "1:3,7"},
		{[]uint32{1, 1, 2, 2, 4, 5, 0}, "1:2,4:5"},
		{[]uint32{4294967295, 4294967294}, "4294967294:4294967295"},
	}
	for _, tt := range tests {
		in := append([]uint32(nil), tt.in...)
		if got := SeqSetFromNums(tt.in).String(); got != tt.want {
			t.Errorf("SeqSetFromNums(%v) = %q, want %q", tt.in, got, tt.want)
		}
		if !reflect.DeepEqual(in, tt.in) {
			t.Errorf("SeqSetFromNums modified its input")
		}
	}
}
