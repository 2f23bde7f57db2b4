package bench

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestRecorderResult(t *testing.T) {
	r := NewRecorder()
	for i := 1; i <= 100; i++ {
		r.Done("FETCH", time.Duration(i)*time.Millisecond, 1000, nil)
	}
	for i := range 5 {
		r.Done("FETCH", 0, 0, errors.New("NO boom "+string(rune('a'+i))))
	}
	r.Set("kb_per_session", 12.5)
	res := r.Result(2 * time.Second)
	if len(res.Commands) != 1 {
		t.Fatalf("commands %+v", res.Commands)
	}
	c := res.Commands[0]
	if c.Ops != 100 || c.Errors != 5 || c.OpsPerSec != 50 || len(c.ErrorText) != maxErrorTexts || c.Bytes != 100000 || c.MBPerSec != 0.05 {
		t.Errorf("result %+v", c)
	}
	if c.P50us < 49500 || c.P50us > 50500 || c.MaxUs != 100000 {
		t.Errorf("p50 %v max %v", c.P50us, c.MaxUs)
	}
	if r.Errors() != 5 {
		t.Errorf("Errors = %d", r.Errors())
	}
	var table bytes.Buffer
	if err := res.WriteTable(&table); err != nil || !strings.Contains(table.String(), "kb_per_session: 12.5") ||
		!strings.Contains(table.String(), "error FETCH: NO boom a") {
		t.Errorf("table %q %v", table.String(), err)
	}
}

func TestRecorderTimeAndJSON(t *testing.T) {
	r := NewRecorder()
	if err := r.Time("NOOP", func() (int64, error) { return 7, nil }); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if err := r.Time("NOOP", func() (int64, error) { return 0, boom }); err != boom {
		t.Fatalf("Time returned %v", err)
	}
	res := r.Result(0) // no division by zero
	res.Scenario = "x"
	var b bytes.Buffer
	if err := res.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	if got := b.String(); !strings.HasSuffix(got, "}\n") || strings.Count(got, "\n") != 1 ||
		!strings.Contains(got, `"ops":1`) || !strings.Contains(got, `"errors":1`) || !strings.Contains(got, `"error_texts":["boom"]`) {
		t.Errorf("JSON %q", got)
	}
}

func TestFmtUs(t *testing.T) {
	tests := map[float64]string{0: "0µs", 999: "999µs", 1500: "1.50ms", 2.5e6: "2.50s"}
	for in, want := range tests {
		if got := fmtUs(in); got != want {
			t.Errorf("fmtUs(%v) = %q, want %q", in, got, want)
		}
	}
}
