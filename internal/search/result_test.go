package search

import (
	"testing"
)

func TestSummarize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		nums []uint32
		want Result
	}{
		{nil, Result{}},
		{[]uint32{}, Result{}},
		{[]uint32{7}, Result{Min: 7, Max: 7, Count: 1, All: "7"}},
		{[]uint32{1, 2, 3, 5}, Result{Min: 1, Max: 5, Count: 4, All: "1:3,5"}},
		{[]uint32{2, 10, 11}, Result{Min: 2, Max: 11, Count: 3, All: "2,10:11"}},
		{[]uint32{1, 3, 5, 6, 7, 9}, Result{Min: 1, Max: 9, Count: 6, All: "1,3,5:7,9"}},
		{[]uint32{4294967294, 4294967295}, Result{Min: 4294967294, Max: 4294967295, Count: 2, All: "4294967294:4294967295"}},
	}
	for _, tt := range tests {
		if got := Summarize(tt.nums); got != tt.want {
			t.Errorf("Summarize(%v) = %+v, want %+v", tt.nums, got, tt.want)
		}
	}
}

func TestSeqString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		nums []uint32
		want string
	}{
		{nil, ""},
		{[]uint32{1}, "1"},
		{[]uint32{1, 2}, "1:2"},
		{[]uint32{1, 2, 4, 5, 6, 8}, "1:2,4:6,8"},
		// Not ascending: still a valid set naming the same numbers.
		{[]uint32{5, 6, 1, 2, 2}, "5:6,1:2,2"},
		{[]uint32{4294967295, 0, 1}, "4294967295,0:1"},
	}
	for _, tt := range tests {
		if got := SeqString(tt.nums); got != tt.want {
			t.Errorf("SeqString(%v) = %q, want %q", tt.nums, got, tt.want)
		}
	}
}
