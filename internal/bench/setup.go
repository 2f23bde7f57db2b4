package bench

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// Setup parameters.
const (
	appendWindow = 32  // APPENDs in flight per connection with LITERAL+
	setupChunk   = 500 // messages per setup job (one connection)
)

// setupJob appends messages from..to-1 of one user.
type setupJob struct {
	user, from, to int
}

// runSetup fills the INBOX of users 1..o.Users up to o.Messages messages:
// it SELECTs first and only appends the missing ones, so a second run is
// quick. The missing messages are cut into jobs of setupChunk messages run
// by o.Clients connections at a time, so a single big mailbox is filled in
// parallel too (generated messages then land in INBOX in a different order
// than their index). Progress goes to stderr every 2 s.
func runSetup(ctx context.Context, o *Options, rec *Recorder, stderr io.Writer) error {
	var jobs []setupJob
	for u := 1; u <= o.Users; u++ {
		exists, err := inboxSize(ctx, o, u)
		if err != nil {
			return fmt.Errorf("user %s: %w", o.user(u), err)
		}
		for from := int(exists); from < o.Messages; from += setupChunk {
			jobs = append(jobs, setupJob{u, from, min(from+setupChunk, o.Messages)})
		}
	}
	total := 0
	for _, j := range jobs {
		total += j.to - j.from
	}
	var done atomic.Int64
	stop := make(chan struct{})
	var progress sync.WaitGroup
	progress.Add(1)
	go func() {
		defer progress.Done()
		start := time.Now()
		t := time.NewTicker(2 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				n := done.Load()
				fmt.Fprintf(stderr, "setup: %d/%d messages appended (%.0f/s)\n", n, total, float64(n)/time.Since(start).Seconds())
			}
		}
	}()
	queue := make(chan setupJob, len(jobs))
	for _, j := range jobs {
		queue <- j
	}
	close(queue)
	var wg sync.WaitGroup
	errs := make(chan error, o.Clients)
	for range min(o.Clients, len(jobs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range queue {
				if ctx.Err() != nil {
					return
				}
				if err := runSetupJob(ctx, o, rec, j, &done); err != nil {
					errs <- fmt.Errorf("user %s: %w", o.user(j.user), err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	progress.Wait()
	close(errs)
	fmt.Fprintf(stderr, "setup: %d messages appended\n", done.Load())
	rec.Set("messages_appended", float64(done.Load()))
	if err := <-errs; err != nil {
		return err
	}
	return ctx.Err()
}

// inboxSize returns the number of messages in user u's INBOX.
func inboxSize(ctx context.Context, o *Options, u int) (uint32, error) {
	c, err := o.dialer().dial(ctx)
	if err != nil {
		return 0, err
	}
	defer c.close()
	if err := c.login(o.user(u), o.Password); err != nil {
		return 0, err
	}
	var n uint32
	err = c.cmd("STATUS INBOX (MESSAGES)", func(l []byte) {
		n = statusMessages(l)
	})
	return n, err
}

// runSetupJob appends one job's messages on a connection of its own.
func runSetupJob(ctx context.Context, o *Options, rec *Recorder, j setupJob, done *atomic.Int64) error {
	c, err := o.dialer().dial(ctx)
	if err != nil {
		return err
	}
	defer c.close()
	if err := c.login(o.user(j.user), o.Password); err != nil {
		return err
	}
	if c.caps == nil {
		if err := c.cmd("CAPABILITY", nil); err != nil {
			return err
		}
	}
	msg := func(i int) []byte { return Generate(o.Seed, j.user, i).Body }
	result := func(d time.Duration, err error) {
		rec.Done("APPEND", d, 0, err)
		done.Add(1)
	}
	if !c.caps["LITERAL+"] {
		for i := j.from; i < j.to && ctx.Err() == nil; i++ {
			start := time.Now()
			err := c.append("INBOX", "", msg(i))
			result(time.Since(start), err)
			if err != nil && !isStatus(err) {
				return err
			}
		}
		return ctx.Err()
	}
	return c.appendPipelined(ctx, "INBOX", msg, j.from, j.to, appendWindow, result)
}

// appendPipelined appends messages msg(from)..msg(to-1) to mailbox with
// non-synchronizing literals (RFC 7888), keeping up to window commands in
// flight; each completion is reported to result. The server's responses
// are small, so writing while it waits for us to read cannot deadlock.
func (c *client) appendPipelined(ctx context.Context, mailbox string, msg func(int) []byte, from, to, window int, result func(time.Duration, error)) error {
	type pending struct {
		tag   string
		start time.Time
	}
	var inflight []pending
	next := from
	for (next < to && ctx.Err() == nil) || len(inflight) > 0 {
		for len(inflight) < window && next < to && ctx.Err() == nil {
			m := msg(next)
			next++
			tag := c.nextTag()
			line, _ := c.appendCmd(mailbox, "", len(m))
			_ = c.nc.SetDeadline(time.Now().Add(c.timeout))
			c.w.WriteString(tag + " " + line + "\r\n")
			c.w.Write(m)
			c.w.WriteString("\r\n")
			if err := c.w.Flush(); err != nil {
				return err
			}
			inflight = append(inflight, pending{tag, time.Now()})
		}
		if len(inflight) == 0 {
			break
		}
		_ = c.nc.SetDeadline(time.Now().Add(c.timeout))
		l, _, err := c.readLine(nil)
		if err != nil {
			return fmt.Errorf("APPEND: %w", err)
		}
		for i, p := range inflight {
			status, text, ok := tagged(l, p.tag)
			if !ok {
				continue
			}
			var err error
			if status != "OK" {
				err = &statusError{cmd: "APPEND", status: status, text: text}
			}
			result(time.Since(p.start), err)
			inflight = append(inflight[:i], inflight[i+1:]...)
			break
		}
	}
	return ctx.Err()
}
