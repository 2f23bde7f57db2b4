package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// scenario is one entry of scenarioTable.
type scenario struct {
	help        string
	needsServer bool // needs --target and --password
	needsPaths  bool // needs --path
	run         func(ctx context.Context, o *Options, rec *Recorder, stderr io.Writer) error
}

// scenarioTable lists the scenarios by name.
var scenarioTable map[string]scenario

func init() {
	scenarioTable = map[string]scenario{
		"login":            {"connect, LOGIN, LOGOUT, repeated", true, false, runLogin},
		"mixed":            {"a whole client session: LOGIN LIST STATUS SELECT FETCH STORE APPEND EXPUNGE LOGOUT", true, false, runMixed},
		"setup":            {"fill every user's INBOX up to --messages generated messages", true, false, runSetup},
		"select-big":       {"SELECT INBOX, repeated", true, false, runSelect},
		"fetch-headers":    {"UID FETCH 1:* (UID FLAGS ENVELOPE), repeated", true, false, runFetchHeaders},
		"fetch-body":       {"FETCH BODY.PEEK[] of random messages", true, false, runFetchBody},
		"append":           {"APPEND to the mailbox Bench, one at a time", true, false, runAppend},
		"store":            {"STORE +FLAGS/-FLAGS (\\Flagged) on random messages", true, false, runStore},
		"search-header":    {"SEARCH FROM x and SEARCH SUBJECT y", true, false, runSearchHeader},
		"search-text":      {"SEARCH TEXT word", true, false, runSearchText},
		"noop":             {"SELECT INBOX, then NOOP round trips one at a time (compare with echo-ceiling)", true, false, runNoop},
		"idle-fanout":      {"--clients sessions IDLE; time until all see an APPENDed message", true, false, runIdleFanout},
		"idle-memory":      {"server RSS (--pid) per session IDLE on INBOX", true, false, runIdleMemory},
		"echo-ceiling":     {"1-line round trips to an in-process Go TCP echo server", false, false, runEcho},
		"fanout-ceiling":   {"idle-fanout against an in-process responder that only writes EXISTS: the fan-out ceiling", false, false, runFanoutCeiling},
		"fanout-responder": {"the responder of fanout-ceiling, on its own (prints its address, ends when stdin closes)", false, false, runFanoutResponder},
		"read-files":       {"read every file under --path: the storage read ceiling", false, true, runReadFiles},
	}
}

// maxFailures is how many consecutive failures make a worker give up.
const maxFailures = 20

// worker is one client of a timed scenario.
type worker struct {
	o      *Options
	rec    *Recorder
	id     int
	rand   *rand.Rand
	c      *client // nil when not connected
	exists uint32  // EXISTS of the selected mailbox
	n      int     // iterations done
}

// do runs one command on the connection and records it under name with
// the bytes received; an I/O error drops the connection.
func (w *worker) do(name string, f func(c *client) error) error {
	if w.c == nil {
		return errors.New("not connected")
	}
	before := w.c.read
	start := time.Now()
	err := f(w.c)
	w.rec.Done(name, time.Since(start), w.c.read-before, err)
	if err != nil && !isStatus(err) {
		w.drop()
	}
	return err
}

// connect dials and logs in, recording CONNECT and LOGIN.
func (w *worker) connect(ctx context.Context) error {
	w.drop()
	start := time.Now()
	c, err := w.o.dialer().dial(ctx)
	w.rec.Done("CONNECT", time.Since(start), 0, err)
	if err != nil {
		return err
	}
	w.c = c
	return w.do("LOGIN", func(c *client) error { return c.login(w.o.user(w.o.userOf(w.id)), w.o.Password) })
}

// connectSelect connects and selects INBOX.
func (w *worker) connectSelect(ctx context.Context) error {
	if err := w.connect(ctx); err != nil {
		return err
	}
	return w.do("SELECT", func(c *client) (err error) {
		w.exists, err = c.selectBox("INBOX")
		return err
	})
}

func (w *worker) logout() error {
	err := w.do("LOGOUT", func(c *client) error { return c.cmd("LOGOUT", nil) })
	w.drop()
	return err
}

func (w *worker) drop() {
	if w.c != nil {
		w.c.close()
		w.c = nil
	}
}

// randomSeq returns a random message number of the selected mailbox.
func (w *worker) randomSeq() (uint32, error) {
	if w.exists == 0 {
		return 0, errors.New("mailbox is empty: run the setup scenario first")
	}
	return 1 + uint32(w.rand.IntN(int(w.exists))), nil
}

func isStatus(err error) bool {
	var se *statusError
	return errors.As(err, &se) && se.status != "BYE"
}

// runWorkers runs o.Clients workers for o.Duration. Each calls setup
// while not connected (nil: never) and step repeatedly; a worker gives up
// after maxFailures consecutive failures, which makes the run fail.
func runWorkers(ctx context.Context, o *Options, rec *Recorder,
	setup func(context.Context, *worker) error, step func(context.Context, *worker) error) error {
	// loop ends the iterations; ctx, passed to setup and step, only ends
	// with the caller's, so that the last commands finish without errors.
	loop, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()
	var wg sync.WaitGroup
	var gaveUp atomic.Pointer[error]
	for i := range o.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &worker{o: o, rec: rec, id: i, rand: rand.New(rand.NewPCG(o.Seed, uint64(i)))}
			defer w.drop()
			failures := 0
			for loop.Err() == nil {
				var err error
				if w.c == nil && setup != nil {
					err = setup(ctx, w)
				}
				if err == nil {
					err = step(ctx, w)
					w.n++
				}
				if err == nil || loop.Err() != nil {
					failures = 0
					continue
				}
				if failures++; failures >= maxFailures {
					e := fmt.Errorf("client %d gave up after %d consecutive failures; last: %w", i, failures, err)
					gaveUp.CompareAndSwap(nil, &e)
					return
				}
				if !isStatus(err) {
					w.drop()
					time.Sleep(50 * time.Millisecond)
				}
			}
		}()
	}
	wg.Wait()
	if e := gaveUp.Load(); e != nil {
		return *e
	}
	return nil
}

func runLogin(ctx context.Context, o *Options, rec *Recorder, _ io.Writer) error {
	return runWorkers(ctx, o, rec, nil, func(ctx context.Context, w *worker) error {
		if err := w.connect(ctx); err != nil {
			return err
		}
		return w.logout()
	})
}

// runMixed runs whole sessions as a mail client would: the APPENDed
// message is flagged \Deleted and EXPUNGEd, keeping the mailbox size.
func runMixed(ctx context.Context, o *Options, rec *Recorder, _ io.Writer) error {
	return runWorkers(ctx, o, rec, nil, func(ctx context.Context, w *worker) error {
		defer w.drop()
		if err := w.connect(ctx); err != nil {
			return err
		}
		steps := []struct {
			name string
			f    func(c *client) error
		}{
			{"LIST", func(c *client) error { return c.cmd(`LIST "" "*"`, nil) }},
			{"STATUS", func(c *client) error { return c.cmd("STATUS INBOX (MESSAGES UIDNEXT UNSEEN)", nil) }},
			{"SELECT", func(c *client) (err error) { w.exists, err = c.selectBox("INBOX"); return err }},
			{"FETCH headers", func(c *client) error {
				if w.exists == 0 {
					return nil
				}
				first := max(1, int(w.exists)-19)
				return c.cmd(fmt.Sprintf("FETCH %d:%d (UID FLAGS BODY.PEEK[HEADER])", first, w.exists), nil)
			}},
			{"FETCH body", func(c *client) error {
				n, err := w.randomSeq()
				if err != nil {
					return err
				}
				return c.cmd("FETCH "+strconv.Itoa(int(n))+" (BODY.PEEK[])", nil)
			}},
			{"STORE", func(c *client) error {
				n, err := w.randomSeq()
				if err != nil {
					return err
				}
				return c.cmd("STORE "+strconv.Itoa(int(n))+" +FLAGS (\\Seen)", nil)
			}},
			{"APPEND", func(c *client) error {
				m := Generate(o.Seed, -1-w.id, w.n)
				return c.append("INBOX", `\Deleted`, m.Body)
			}},
			{"EXPUNGE", func(c *client) error { return c.cmd("EXPUNGE", nil) }},
		}
		for _, s := range steps {
			if err := w.do(s.name, s.f); err != nil {
				return err
			}
		}
		return w.logout()
	})
}

func runSelect(ctx context.Context, o *Options, rec *Recorder, _ io.Writer) error {
	return runWorkers(ctx, o, rec, connectOnly, func(_ context.Context, w *worker) error {
		return w.do("SELECT", func(c *client) (err error) {
			w.exists, err = c.selectBox("INBOX")
			return err
		})
	})
}

func runFetchHeaders(ctx context.Context, o *Options, rec *Recorder, _ io.Writer) error {
	var lines atomic.Int64
	err := runWorkers(ctx, o, rec, connectSelect, func(_ context.Context, w *worker) error {
		return w.do("UID FETCH 1:* ENVELOPE", func(c *client) error {
			return c.cmd("UID FETCH 1:* (UID FLAGS ENVELOPE)", func([]byte) { lines.Add(1) })
		})
	})
	rec.Set("fetch_responses", float64(lines.Load()))
	return err
}

func runFetchBody(ctx context.Context, o *Options, rec *Recorder, _ io.Writer) error {
	return runWorkers(ctx, o, rec, connectSelect, func(_ context.Context, w *worker) error {
		n, err := w.randomSeq()
		if err != nil {
			return err
		}
		return w.do("FETCH BODY[]", func(c *client) error {
			return c.cmd("FETCH "+strconv.Itoa(int(n))+" (BODY.PEEK[])", nil)
		})
	})
}

// appendMailbox receives the append scenario's messages, so that INBOX
// stays as setup left it.
const appendMailbox = "Bench"

func runAppend(ctx context.Context, o *Options, rec *Recorder, _ io.Writer) error {
	setup := func(ctx context.Context, w *worker) error {
		if err := w.connect(ctx); err != nil {
			return err
		}
		// NO [ALREADYEXISTS] is expected after the first run.
		if err := w.c.cmd("CREATE "+appendMailbox, nil); err != nil && !isStatus(err) {
			w.drop()
			return err
		}
		return nil
	}
	return runWorkers(ctx, o, rec, setup, func(_ context.Context, w *worker) error {
		m := Generate(o.Seed, -1-w.id, w.n)
		return w.do("APPEND", func(c *client) error { return c.append(appendMailbox, "", m.Body) })
	})
}

func runStore(ctx context.Context, o *Options, rec *Recorder, _ io.Writer) error {
	return runWorkers(ctx, o, rec, connectSelect, func(_ context.Context, w *worker) error {
		n, err := w.randomSeq()
		if err != nil {
			return err
		}
		op := "+FLAGS"
		if w.n%2 == 1 {
			op = "-FLAGS"
		}
		return w.do("STORE", func(c *client) error {
			return c.cmd(fmt.Sprintf("STORE %d %s (\\Flagged)", n, op), nil)
		})
	})
}

// searchStep returns a step running SEARCH criteria(w) under name, and
// adds the hits to hits.
func searchStep(name string, criteria func(w *worker) string, hits *atomic.Int64) func(context.Context, *worker) error {
	return func(_ context.Context, w *worker) error {
		crit := criteria(w)
		return w.do(name, func(c *client) error {
			return c.cmd("SEARCH "+crit, func(l []byte) {
				if n := searchCount(l); n > 0 {
					hits.Add(int64(n))
				}
			})
		})
	}
}

func runSearchHeader(ctx context.Context, o *Options, rec *Recorder, _ io.Writer) error {
	var hits atomic.Int64
	from := searchStep("SEARCH FROM", func(w *worker) string {
		_, addr := Sender(w.rand.IntN(numSenders))
		return "FROM " + quote(addr)
	}, &hits)
	subject := searchStep("SEARCH SUBJECT", func(w *worker) string {
		return "SUBJECT " + quote(Topics[w.rand.IntN(len(Topics))])
	}, &hits)
	err := runWorkers(ctx, o, rec, connectSelect, func(ctx context.Context, w *worker) error {
		if w.n%2 == 0 {
			return from(ctx, w)
		}
		return subject(ctx, w)
	})
	rec.Set("search_hits_total", float64(hits.Load()))
	return err
}

func runSearchText(ctx context.Context, o *Options, rec *Recorder, _ io.Writer) error {
	var hits atomic.Int64
	step := searchStep("SEARCH TEXT", func(w *worker) string {
		return "TEXT " + quote(Topics[w.rand.IntN(len(Topics))])
	}, &hits)
	err := runWorkers(ctx, o, rec, connectSelect, step)
	rec.Set("search_hits_total", float64(hits.Load()))
	return err
}

// connectOnly and connectSelect are setup functions for runWorkers.
func connectOnly(ctx context.Context, w *worker) error   { return w.connect(ctx) }
func connectSelect(ctx context.Context, w *worker) error { return w.connectSelect(ctx) }
