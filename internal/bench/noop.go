package bench

// The noop scenario: the cost of one command round trip on a session with
// a selected mailbox, to be read next to echo-ceiling (the same round
// trip to a bare Go TCP echo server, with the same number of clients).
//
// RFC 9051 §6.1.2: NOOP "does nothing"; it is the client's way to poll
// for updates (untagged EXISTS, EXPUNGE, FETCH FLAGS) of the selected
// mailbox. A server should answer it without reading its storage when
// nothing changed, so its rate is bounded by the network round trip.

import (
	"context"
	"io"
	"sync/atomic"
)

// runNoop has each client log in, SELECT INBOX, then send NOOP one at a
// time, waiting for each tagged OK. Untagged responses the server sends
// in between (updates caused by other sessions) are counted in the extra
// "untagged_responses".
func runNoop(ctx context.Context, o *Options, rec *Recorder, _ io.Writer) error {
	var untagged atomic.Int64
	count := func([]byte) { untagged.Add(1) }
	err := runWorkers(ctx, o, rec, connectSelect, func(_ context.Context, w *worker) error {
		return w.do("NOOP", func(c *client) error { return c.cmd("NOOP", count) })
	})
	rec.Set("untagged_responses", float64(untagged.Load()))
	return err
}
