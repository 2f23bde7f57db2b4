package auth

// Password lookups run on a few long-lived goroutines.
//
// The store's lookup is a SQLite read, and modernc.org/sqlite (SQLite's C
// translated to Go) runs with deep stack frames. Made on a session's new
// goroutine, one lookup grows that goroutine's stack from a few KB to
// tens of KB, copying the ever deeper stack at each doubling: in the
// profile of the login benchmark (connect, LOGIN, LOGOUT) the stack
// copies cost about 20 µs, a sixth of the server's CPU time per session.
// A worker goroutine grows its stack once and keeps it for the lookups
// that follow. A lookup never queues: when no worker is idle and no more
// may start, the caller runs it itself. Workers idle for lookupIdle end.

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Limits of a lookupPool.
const (
	maxLookupWorkers = 4
	lookupIdle       = 10 * time.Second
)

// lookupFunc returns the stored password hash of a user (see New).
type lookupFunc func(ctx context.Context, user string) (string, error)

// lookupPool runs a lookupFunc on worker goroutines.
type lookupPool struct {
	fn   lookupFunc
	idle time.Duration
	max  int
	reqs chan *lookupReq // unbuffered: a send succeeds when a worker waits

	mu      sync.Mutex
	workers int // guarded by mu

	free sync.Pool // of *lookupReq
}

// lookupReq is one lookup handed to a worker.
type lookupReq struct {
	ctx  context.Context
	user string
	hash string
	err  error
	done chan struct{} // receives once the worker has filled hash and err
}

func newLookupPool(fn lookupFunc, workers int, idle time.Duration) *lookupPool {
	return &lookupPool{fn: fn, idle: idle, max: workers, reqs: make(chan *lookupReq)}
}

// lookup returns fn(ctx, user), run by a worker when one is idle or may
// start, else by the caller. fn is expected to honour ctx.
func (p *lookupPool) lookup(ctx context.Context, user string) (string, error) {
	r, _ := p.free.Get().(*lookupReq)
	if r == nil {
		r = &lookupReq{done: make(chan struct{}, 1)}
	}
	r.ctx, r.user = ctx, user
	select {
	case p.reqs <- r:
	default:
		if !p.start(r) {
			r.ctx = nil
			p.free.Put(r)
			return p.fn(ctx, user)
		}
	}
	<-r.done
	hash, err := r.hash, r.err
	*r = lookupReq{done: r.done}
	p.free.Put(r)
	return hash, err
}

// start starts a worker with r as its first lookup, unless p.max are
// running.
func (p *lookupPool) start(r *lookupReq) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.workers >= p.max {
		return false
	}
	p.workers++
	go p.work(r)
	return true
}

// running returns the number of workers.
func (p *lookupPool) running() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.workers
}

func (p *lookupPool) work(r *lookupReq) {
	t := time.NewTimer(p.idle)
	defer t.Stop()
	for {
		r.hash, r.err = p.run(r.ctx, r.user)
		r.done <- struct{}{}
		t.Reset(p.idle)
		select {
		case r = <-p.reqs:
		case <-t.C:
			p.mu.Lock()
			p.workers--
			p.mu.Unlock()
			return
		}
	}
}

// run calls fn, turning a panic into an error: on a worker it would
// otherwise end the process instead of one command.
func (p *lookupPool) run(ctx context.Context, user string) (hash string, err error) {
	defer func() {
		if v := recover(); v != nil {
			hash, err = "", fmt.Errorf("auth: lookup of %q panicked: %v", user, v)
		}
	}()
	return p.fn(ctx, user)
}
