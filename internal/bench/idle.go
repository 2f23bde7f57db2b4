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

// settleTime is how long idle-memory waits after opening the sessions
// before reading the RSS.
const settleTime = 2 * time.Second

// runIdleMemory measures the server's RSS (process tree of --pid) before
// and after opening o.Clients idle sessions.
func runIdleMemory(ctx context.Context, o *Options, rec *Recorder, stderr io.Writer) error {
	if o.PID <= 0 {
		return errors.New("idle-memory needs --pid of the server")
	}
	// One login per user first, one at a time: a server's password hash
	// or login cache then costs nothing during the measurement, and
	// concurrent hashes (argon2 takes tens of MB each) do not inflate the
	// RSS that is taken as the baseline.
	for u := 1; u <= min(o.Users, o.Clients); u++ {
		w := &worker{o: o, rec: rec, id: u - 1}
		if err := w.connect(ctx); err != nil {
			return fmt.Errorf("warm-up login: %w", err)
		}
		_ = w.logout()
	}
	// A Go server keeps the garbage of those hashes until its next GC
	// (forced every 2 minutes when idle); --settle waits for it.
	fmt.Fprintf(stderr, "%s: waiting %v before the baseline\n", o.Scenario, o.Settle)
	select {
	case <-time.After(o.Settle):
	case <-ctx.Done():
		return ctx.Err()
	}
	before, err := treeRSS(o.PID)
	if err != nil {
		return err
	}
	sessions := openAll(ctx, o, o.Clients, func(i int) int { return o.userOf(i) }, rec, stderr)
	defer closeAll(sessions)
	if len(sessions) == 0 {
		return errors.New("no session could be opened")
	}
	time.Sleep(settleTime)
	after, err := treeRSS(o.PID)
	if err != nil {
		return err
	}
	n := float64(len(sessions))
	rec.Set("sessions", n)
	rec.Set("rss_before_kb", float64(before.rssKB))
	rec.Set("rss_after_kb", float64(after.rssKB))
	rec.Set("pss_before_kb", float64(before.pssKB))
	rec.Set("pss_after_kb", float64(after.pssKB))
	rec.Set("procs_before", float64(before.procs))
	rec.Set("procs_after", float64(after.procs))
	rec.Set("pss_kb_per_session", float64(after.pssKB-before.pssKB)/n)
	rec.Set("kb_per_session", float64(after.rssKB-before.rssKB)/n)
	return nil
}
