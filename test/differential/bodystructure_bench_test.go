package differential

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// bodyStructureEnv gates TestFetchBodyStructureTiming, which takes
// minutes and measures rather than checks.
const bodyStructureEnv = "PETREL_BENCH_BODYSTRUCTURE"

// bodyStructureRuns is how many times each server answers the FETCH.
const bodyStructureRuns = 5

// TestFetchBodyStructureTiming compares how fast Dovecot and Petrel
// answer `FETCH 1:* (BODYSTRUCTURE)` over the whole corpus: it appends
// the corpus to both (as TestDifferential does), then times the FETCH,
// reading every byte of the answer, bodyStructureRuns times on each
// server, alternating servers, and logs every time, the median (p50) per
// server and the ratio Petrel/Dovecot:
//
//	PETREL_BENCH_BODYSTRUCTURE=1 go test -run FetchBodyStructureTiming -v ./test/differential
//
// It is a test rather than a Benchmark because the harness (corpus,
// servers) is built on *testing.T; it only runs when
// PETREL_BENCH_BODYSTRUCTURE=1, and fails when a FETCH does not answer
// for every message.
func TestFetchBodyStructureTiming(t *testing.T) {
	if os.Getenv(bodyStructureEnv) != "1" {
		t.Logf("%s is not 1: not timing FETCH BODYSTRUCTURE", bodyStructureEnv)
		return
	}
	msgs := loadCorpus(t)
	if raceEnabled {
		t.Logf("race detector on: timing %d messages only, figures not comparable", raceSample)
		msgs = sample(msgs, raceSample)
	}
	bin := buildPetrel(t)
	targets := [2]target{startDovecot(t), startPetrel(t, bin)}
	var clients [2]*client
	for i, tg := range targets {
		c, err := dial(tg)
		if err != nil {
			t.Fatalf("%s: %v", tg.Name, err)
		}
		t.Cleanup(func() { c.Close() })
		clients[i] = c
	}
	data := make([][]byte, len(msgs))
	var size int
	for i, m := range msgs {
		data[i] = m.Data
		size += len(m.Data)
	}
	if err := onBoth(clients, func(c *client) error { return appendAll(c, data) }); err != nil {
		t.Fatal(err)
	}
	t.Logf("appended %d messages (%d bytes) to both servers; load average %s", len(msgs), size, loadAverage())

	var times [2][]time.Duration
	for run := range bodyStructureRuns {
		for k := range clients {
			i := (run + k) % len(clients) // alternate which server goes first
			d, n, err := timeFetch(clients[i], len(msgs))
			if err != nil {
				t.Fatalf("%s: run %d: %v", clients[i].tg.Name, run+1, err)
			}
			times[i] = append(times[i], d)
			t.Logf("%s: run %d: %v, %d bytes of answer", clients[i].tg.Name, run+1, d.Round(time.Millisecond), n)
		}
	}
	var p50 [2]time.Duration
	for i, c := range clients {
		p50[i] = median(times[i])
		t.Logf("%s: FETCH 1:* (BODYSTRUCTURE) p50 %v over %d runs", c.tg.Name, p50[i].Round(time.Millisecond), len(times[i]))
	}
	t.Logf("ratio petrel/dovecot p50: %.2f; load average %s", float64(p50[1])/float64(p50[0]), loadAverage())
}

// timeFetch times `FETCH 1:* (BODYSTRUCTURE)` on c, the answer read in
// full, and checks that it has one BODYSTRUCTURE per message. It returns
// the time and the bytes of the untagged answers.
func timeFetch(c *client, count int) (time.Duration, int, error) {
	start := time.Now()
	r, err := c.run([]byte("FETCH 1:* (BODYSTRUCTURE)"))
	d := time.Since(start)
	if err != nil {
		return 0, 0, err
	}
	if r.Status != "OK" {
		return 0, 0, fmt.Errorf("FETCH: %s %s", r.Status, r.Text)
	}
	n, got := 0, 0
	for _, u := range r.Untagged {
		n += len(u)
		if isFetch(u) && strings.Contains(string(u), "BODYSTRUCTURE (") {
			got++
		}
	}
	if got != count {
		return 0, 0, fmt.Errorf("FETCH: %d BODYSTRUCTURE answers, want %d", got, count)
	}
	return d, n, nil
}

// median returns the middle duration of ds (the lower middle for an even
// count), or 0 for none.
func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}

// loadAverage returns the 1, 5 and 15 minute load averages of the
// machine, from /proc/loadavg, or "unknown".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func TestMedian(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		var out []time.Duration
		for _, n := range ns {
			out = append(out, time.Duration(n)*time.Millisecond)
		}
		return out
	}
	tests := []struct {
		in   []time.Duration
		want time.Duration
	}{
		{nil, 0},
		{ms(7), 7 * time.Millisecond},
		{ms(5, 1, 9, 3, 7), 5 * time.Millisecond},
		{ms(4, 1, 3, 2), 2 * time.Millisecond},
	}
	for _, tt := range tests {
		in := slices.Clone(tt.in)
		if got := median(tt.in); got != tt.want {
			t.Errorf("median(%v) = %v, want %v", in, got, tt.want)
		}
		if !slices.Equal(in, tt.in) {
			t.Errorf("median changed its argument to %v", tt.in)
		}
	}
}
