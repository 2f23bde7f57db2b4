package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// openParallel is how many idle sessions are opened at once.
const openParallel = 32

// sourceAddrs hands out IPv4 loopback source addresses 127.0.0.1, .2, …
// .254: each has its own ephemeral port range, so more than ~28k
// connections to one server port fit.
type sourceAddrs struct {
	mu   sync.Mutex
	last byte // host part in use; guarded by mu
}

func (s *sourceAddrs) current() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, max(1, s.last))}
}

// next moves to the next address; false when none is left.
func (s *sourceAddrs) next() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last >= 254 {
		return false
	}
	s.last = max(1, s.last) + 1
	return true
}

// idleDialer returns a dialer that spreads source addresses when the
// target is an IPv4 loopback address.
func idleDialer(o *Options) *dialer {
	d := o.dialer()
	if host, _, err := net.SplitHostPort(o.Target); err == nil {
		if ip, err := netip.ParseAddr(host); err == nil && ip.Unmap().Is4() && ip.IsLoopback() {
			d.local = &sourceAddrs{}
		}
	}
	return d
}

// idleSession is a session in IDLE.
type idleSession struct {
	c      *client
	exists uint32
}

// openIdle connects as user, selects INBOX and enters IDLE.
func openIdle(ctx context.Context, d *dialer, o *Options, user int, rec *Recorder) (*idleSession, error) {
	start := time.Now()
	c, err := d.dial(ctx)
	rec.Done("CONNECT", time.Since(start), 0, err)
	if err != nil {
		return nil, err
	}
	s := &idleSession{c: c}
	steps := []struct {
		name string
		f    func() error
	}{
		{"LOGIN", func() error { return c.login(o.user(user), o.Password) }},
		{"SELECT", func() (err error) { s.exists, err = c.selectBox("INBOX"); return err }},
		{"IDLE", func() error { return c.idle() }},
	}
	for _, st := range steps {
		start := time.Now()
		err := st.f()
		rec.Done(st.name, time.Since(start), 0, err)
		if err != nil {
			c.close()
			return nil, err
		}
	}
	_ = c.nc.SetDeadline(time.Time{}) // idle sessions wait as long as needed
	return s, nil
}

// idle sends IDLE and waits for the continuation (RFC 2177).
func (c *client) idle() error {
	tag := c.nextTag()
	_ = c.nc.SetDeadline(time.Now().Add(c.timeout))
	c.w.WriteString(tag + " IDLE\r\n")
	if err := c.w.Flush(); err != nil {
		return err
	}
	for {
		l, _, err := c.readLine(nil)
		if err != nil {
			return fmt.Errorf("IDLE: %w", err)
		}
		if bytes.HasPrefix(l, []byte("+")) {
			return nil
		}
		if status, text, ok := tagged(l, tag); ok {
			return &statusError{cmd: "IDLE", status: status, text: text}
		}
	}
}

// openAll opens n idle sessions, openParallel at a time; user(i) is the
// user of session i. Failed sessions are counted by rec and skipped.
func openAll(ctx context.Context, o *Options, n int, user func(int) int, rec *Recorder, stderr io.Writer) []*idleSession {
	d := idleDialer(o)
	sessions := make([]*idleSession, n)
	next := atomic.Int64{}
	var failures atomic.Int64
	var stopped atomic.Bool
	var wg sync.WaitGroup
	for range min(openParallel, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && failures.Load() < maxFailures*openParallel && !stopped.Load() {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				s, err := openIdle(ctx, d, o, user(i), rec)
				if err != nil {
					failures.Add(1)
					continue
				}
				sessions[i] = s
				if (i+1)%1000 == 0 {
					fmt.Fprintf(stderr, "%s: %d sessions opened\n", o.Scenario, i+1)
				}
				if (i+1)%100 == 0 && lowMemory() {
					if stopped.CompareAndSwap(false, true) {
						fmt.Fprintf(stderr, "%s: stopped opening sessions at %d: under %d%% of RAM available\n", o.Scenario, i+1, minAvailablePct)
						rec.Set("stopped_low_memory", 1)
					}
					return
				}
			}
		}()
	}
	wg.Wait()
	out := sessions[:0]
	for _, s := range sessions {
		if s != nil {
			out = append(out, s)
		}
	}
	return out
}

func closeAll(sessions []*idleSession) {
	for _, s := range sessions {
		s.c.close()
	}
}

// runIdleFanout opens o.Clients sessions of user 1 in IDLE on INBOX, then
// for o.Rounds rounds APPENDs one message from another session and
// measures when each idle session sees the new EXISTS.
func runIdleFanout(ctx context.Context, o *Options, rec *Recorder, stderr io.Writer) error {
	sessions := openAll(ctx, o, o.Clients, func(int) int { return 1 }, rec, stderr)
	defer closeAll(sessions)
	if len(sessions) == 0 {
		return errors.New("no session could be opened")
	}
	rec.Set("sessions", float64(len(sessions)))
	var base uint32
	for _, s := range sessions {
		base = max(base, s.exists)
	}
	var want atomic.Uint32 // the EXISTS count the current round waits for
	want.Store(base + 1)
	type arrival struct {
		session int
		exists  uint32
		at      time.Time
	}
	arrivals := make(chan arrival, len(sessions))
	done := make(chan struct{})
	defer close(done)
	for i, s := range sessions {
		go func() {
			for {
				l, _, err := s.c.readLine(nil)
				if err != nil {
					return // closed at the end, or broken: the round times out
				}
				if n, w, ok := untaggedNumber(l); ok && w == "EXISTS" {
					select {
					case arrivals <- arrival{i, n, time.Now()}:
					case <-done:
						return
					}
				}
			}
		}()
	}
	appender, err := o.dialer().dial(ctx)
	if err != nil {
		return fmt.Errorf("appender: %w", err)
	}
	defer appender.close()
	if err := appender.login(o.user(1), o.Password); err != nil {
		return fmt.Errorf("appender: %w", err)
	}
	roundTimeout := min(o.Timeout, 30*time.Second)
	for round := range o.Rounds {
		target := want.Load()
		seen := make([]bool, len(sessions))
		pending := len(sessions)
		m := Generate(o.Seed, -1000, round)
		t0 := time.Now()
		err := appender.append("INBOX", "", m.Body)
		rec.Done("APPEND", time.Since(t0), 0, err)
		if err != nil {
			return err
		}
		timeout := time.After(roundTimeout)
	wait:
		for pending > 0 {
			select {
			case a := <-arrivals:
				if a.exists >= target && !seen[a.session] {
					seen[a.session] = true
					pending--
					rec.Done("IDLE notify", a.at.Sub(t0), 0, nil)
				}
			case <-timeout:
				break wait
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		for range pending {
			rec.Done("IDLE notify", 0, 0, fmt.Errorf("round %d: no EXISTS %d within %v", round+1, target, roundTimeout))
		}
		if pending == 0 {
			rec.Done("IDLE all notified", time.Since(t0), 0, nil)
		}
		want.Store(target + 1)
		time.Sleep(200 * time.Millisecond)
	}
	return nil
}

// runIdleMemory measures what an idle session costs the server: the
// memory of the process tree of --pid (summed VmRSS and Pss) with half of
// o.Clients sessions in IDLE, then with all of them; the cost per session
// is the slope between the two points. Each point is the minimum of
// samples taken every second for --settle, so that a garbage-collected
// server (Petrel) is measured after a collection: with --settle over 2
// minutes Go's forced GC is sure to have run. Measuring two loaded points
// rather than an empty baseline also keeps start-up costs (login caches,
// password-hash garbage, Dovecot's spare processes) out of the figure.
func runIdleMemory(ctx context.Context, o *Options, rec *Recorder, stderr io.Writer) error {
	if o.PID <= 0 {
		return errors.New("idle-memory needs --pid of the server")
	}
	if o.Clients < 2 {
		return errors.New("idle-memory needs --clients of 2 or more")
	}
	half := o.Clients / 2
	first := openAll(ctx, o, half, func(i int) int { return o.userOf(i) }, rec, stderr)
	defer closeAll(first)
	a, err := settledMem(ctx, o, stderr)
	if err != nil {
		return err
	}
	second := openAll(ctx, o, o.Clients-half, func(i int) int { return o.userOf(half + i) }, rec, stderr)
	defer closeAll(second)
	b, err := settledMem(ctx, o, stderr)
	if err != nil {
		return err
	}
	n := float64(len(second))
	if n == 0 {
		return errors.New("no session could be opened")
	}
	rec.Set("sessions", float64(len(first)+len(second)))
	rec.Set("rss_half_kb", float64(a.rssKB))
	rec.Set("rss_full_kb", float64(b.rssKB))
	rec.Set("pss_half_kb", float64(a.pssKB))
	rec.Set("pss_full_kb", float64(b.pssKB))
	rec.Set("procs_half", float64(a.procs))
	rec.Set("procs_full", float64(b.procs))
	rec.Set("kb_per_session", float64(b.rssKB-a.rssKB)/n)
	rec.Set("pss_kb_per_session", float64(b.pssKB-a.pssKB)/n)
	return nil
}

// settledMem samples the server's memory every second for o.Settle (at
// least once) and returns the sample with the least RSS.
func settledMem(ctx context.Context, o *Options, stderr io.Writer) (treeMem, error) {
	fmt.Fprintf(stderr, "%s: sampling memory for %v\n", o.Scenario, o.Settle)
	best, err := treeRSS(o.PID)
	if err != nil {
		return best, err
	}
	deadline := time.Now().Add(o.Settle)
	for time.Now().Before(deadline) {
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
			return best, ctx.Err()
		}
		m, err := treeRSS(o.PID)
		if err != nil {
			return best, err
		}
		if m.rssKB < best.rssKB {
			best = m
		}
	}
	return best, nil
}
