package bench

import (
	"os"
	"slices"
	"testing"
)

func TestParseVmRSS(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"Name:\tdovecot\nVmPeak:\t  9000 kB\nVmRSS:\t    4321 kB\nThreads: 1\n", 4321, true},
		{"Name:\tkthreadd\nThreads: 1\n", 0, false},
		{"VmRSS:\t12 MB\n", 0, false},
		{"VmRSS:\n", 0, false},
	}
	for _, tt := range tests {
		got, err := parseVmRSS([]byte(tt.in))
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("parseVmRSS(%q) = %d, %v", tt.in, got, err)
		}
	}
}

func TestParsePss(t *testing.T) {
	rollup := "55d0-7ffd [rollup]\nRss:   8000 kB\nPss:   3120 kB\nPss_Anon: 2000 kB\n"
	if got, err := parsePss([]byte(rollup)); got != 3120 || err != nil {
		t.Errorf("parsePss = %d, %v", got, err)
	}
	for _, bad := range []string{"Rss: 1 kB\n", "Pss: x kB\n", "Pss: 5\n"} {
		if _, err := parsePss([]byte(bad)); err == nil {
			t.Errorf("parsePss(%q) succeeded", bad)
		}
	}
}

func TestParsePPid(t *testing.T) {
	tests := []struct {
		in   string
		want int
		ok   bool
	}{
		{"1234 (imap) S 1200 1234 1234 0 -1", 1200, true},
		{"77 (a (weird) name) R 5 77 77", 5, true},
		{"77 (x) S", 0, false},
		{"no parens", 0, false},
		{"1 (x) S notanumber", 0, false},
	}
	for _, tt := range tests {
		got, err := parsePPid([]byte(tt.in))
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("parsePPid(%q) = %d, %v", tt.in, got, err)
		}
	}
}

func TestDescendants(t *testing.T) {
	parent := map[int]int{
		1: 0, 10: 1, 11: 10, 12: 10, 13: 11, // 10's tree: 11, 12, 13
		20: 1, 21: 20, // another tree
		30: 30, // a loop must not hang
	}
	got := descendants(10, parent)
	slices.Sort(got)
	if want := []int{10, 11, 12, 13}; !slices.Equal(got, want) {
		t.Errorf("descendants = %v, want %v", got, want)
	}
}

func TestTreeRSSSelf(t *testing.T) {
	m, err := treeRSS(os.Getpid())
	if err != nil || m.rssKB <= 0 || m.pssKB <= 0 || m.pssKB > m.rssKB || m.procs < 1 {
		t.Errorf("treeRSS(self) = %+v, %v", m, err)
	}
	if _, err := treeRSS(1 << 30); err == nil {
		t.Error("treeRSS of a missing process succeeded")
	}
}

func TestParseMemAvailable(t *testing.T) {
	in := "MemTotal:       24683940 kB\nMemFree:        23480000 kB\nMemAvailable:   24040000 kB\nHugePages_Total:       0\n"
	total, avail, err := parseMemAvailable([]byte(in))
	if err != nil || total != 24683940 || avail != 24040000 {
		t.Errorf("parseMemAvailable = %d, %d, %v", total, avail, err)
	}
	if _, _, err := parseMemAvailable([]byte("MemFree: 5 kB\n")); err == nil {
		t.Error("no MemTotal accepted")
	}
	if lowMemory() {
		t.Log("this machine is low on memory right now")
	}
}
