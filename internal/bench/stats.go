package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"sync"
	"text/tabwriter"
	"time"
)

// maxErrorTexts is how many error texts are kept per command.
const maxErrorTexts = 3

// Recorder collects the samples of a run per command; safe for concurrent
// use.
type Recorder struct {
	mu    sync.Mutex
	cmds  map[string]*cmdStats // guarded by mu
	order []string             // command names in first-seen order; guarded by mu
	extra map[string]float64   // scenario-specific results; guarded by mu
}

type cmdStats struct {
	hist   Histogram
	errors int64
	texts  []string
	bytes  int64
}

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder {
	return &Recorder{cmds: map[string]*cmdStats{}, extra: map[string]float64{}}
}

func (r *Recorder) statsLocked(name string) *cmdStats {
	s := r.cmds[name]
	if s == nil {
		s = &cmdStats{}
		r.cmds[name] = s
		r.order = append(r.order, name)
	}
	return s
}

// Done records one command: its latency, the bytes it transferred
// (literal payload) and its error, if any. A failed command counts as an
// error and its latency is not recorded.
func (r *Recorder) Done(name string, d time.Duration, bytes int64, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.statsLocked(name)
	if err != nil {
		s.errors++
		if len(s.texts) < maxErrorTexts {
			s.texts = append(s.texts, err.Error())
		}
		return
	}
	s.hist.RecordDuration(d)
	s.bytes += bytes
}

// Time runs f and records it under name.
func (r *Recorder) Time(name string, f func() (int64, error)) error {
	start := time.Now()
	n, err := f()
	r.Done(name, time.Since(start), n, err)
	return err
}

// Set records a scenario-specific result, such as KB per session.
func (r *Recorder) Set(key string, v float64) {
	r.mu.Lock()
	r.extra[key] = v
	r.mu.Unlock()
}

// Errors returns the total number of errors.
func (r *Recorder) Errors() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var n int64
	for _, s := range r.cmds {
		n += s.errors
	}
	return n
}

// CommandResult is one command's line of a report.
type CommandResult struct {
	Name      string   `json:"name"`
	Ops       uint64   `json:"ops"`
	OpsPerSec float64  `json:"ops_per_s"`
	P50us     float64  `json:"p50_us"`
	P90us     float64  `json:"p90_us"`
	P99us     float64  `json:"p99_us"`
	MaxUs     float64  `json:"max_us"`
	MeanUs    float64  `json:"mean_us"`
	Errors    int64    `json:"errors"`
	Bytes     int64    `json:"bytes,omitempty"`
	MBPerSec  float64  `json:"mb_per_s,omitempty"`
	ErrorText []string `json:"error_texts,omitempty"`
}

// Result is the outcome of a run: the JSON line of a report.
type Result struct {
	Scenario string             `json:"scenario"`
	Target   string             `json:"target"`
	Clients  int                `json:"clients"`
	Seconds  float64            `json:"seconds"`
	Commands []CommandResult    `json:"commands"`
	Extra    map[string]float64 `json:"extra,omitempty"`
	Error    string             `json:"error,omitempty"`
}

// Result summarises the samples over the elapsed wall time.
func (r *Recorder) Result(elapsed time.Duration) Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	secs := elapsed.Seconds()
	res := Result{Seconds: round3(secs), Extra: map[string]float64{}}
	for k, v := range r.extra {
		res.Extra[k] = round3(v)
	}
	us := func(v int64) float64 { return round3(float64(v) / 1e3) }
	for _, name := range r.order {
		s := r.cmds[name]
		c := CommandResult{
			Name: name, Ops: s.hist.Count(), Errors: s.errors, Bytes: s.bytes,
			P50us: us(s.hist.Quantile(0.5)), P90us: us(s.hist.Quantile(0.9)),
			P99us: us(s.hist.Quantile(0.99)), MaxUs: us(s.hist.Max()),
			MeanUs: round3(s.hist.Mean() / 1e3), ErrorText: s.texts,
		}
		if secs > 0 {
			c.OpsPerSec = round3(float64(c.Ops) / secs)
			c.MBPerSec = round3(float64(s.bytes) / 1e6 / secs)
		}
		res.Commands = append(res.Commands, c)
	}
	return res
}

func round3(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return math.Round(v*1000) / 1000
}

// WriteTable prints res as a human-readable table followed by the error
// texts and the extra results.
func (res Result) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "scenario %s on %s: %d clients, %.1f s\n", res.Scenario, res.Target, res.Clients, res.Seconds)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "command\tops\tops/s\tp50\tp90\tp99\tmax\terrors\tMB/s\t")
	for _, c := range res.Commands {
		mb := "-"
		if c.Bytes > 0 {
			mb = fmt.Sprintf("%.1f", c.MBPerSec)
		}
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%s\t%s\t%s\t%s\t%d\t%s\t\n", c.Name, c.Ops, c.OpsPerSec,
			fmtUs(c.P50us), fmtUs(c.P90us), fmtUs(c.P99us), fmtUs(c.MaxUs), c.Errors, mb)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, c := range res.Commands {
		for _, t := range c.ErrorText {
			fmt.Fprintf(w, "error %s: %s\n", c.Name, t)
		}
	}
	keys := make([]string, 0, len(res.Extra))
	for k := range res.Extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "%s: %g\n", k, res.Extra[k])
	}
	if res.Error != "" {
		fmt.Fprintf(w, "run error: %s\n", res.Error)
	}
	return nil
}

// WriteJSON prints res as one JSON line.
func (res Result) WriteJSON(w io.Writer) error {
	b, err := json.Marshal(res)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// fmtUs formats microseconds with a unit that keeps 3 significant digits.
func fmtUs(us float64) string {
	switch {
	case us >= 1e6:
		return fmt.Sprintf("%.2fs", us/1e6)
	case us >= 1e3:
		return fmt.Sprintf("%.2fms", us/1e3)
	default:
		return fmt.Sprintf("%.0fµs", us)
	}
}
