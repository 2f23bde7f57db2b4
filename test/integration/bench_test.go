package integration

import (
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
)

// BenchmarkIdleNotify measures how long an APPEND by one session takes to
// reach another session idling on the same mailbox as "* N EXISTS": the
// time from the start of the APPEND to the EXISTS, per message. Run it for
// both servers to compare:
//
//	go test ./test/integration -run '^$' -bench IdleNotify -target=all
func BenchmarkIdleNotify(b *testing.B) {
	for _, kind := range suite.targets {
		b.Run(kind, func(b *testing.B) {
			s := startServer(b, kind)
			exists := make(chan uint32, 1)
			idler := s.client(b, &imapclient.Options{UnilateralDataHandler: &imapclient.UnilateralDataHandler{
				Mailbox: func(d *imapclient.UnilateralDataMailbox) {
					if d.NumMessages != nil {
						select {
						case exists <- *d.NumMessages:
						default:
						}
					}
				},
			}})
			appender := s.client(b, nil)
			selectBox(b, idler, "INBOX")
			idle, err := idler.Idle()
			if err != nil {
				b.Fatalf("IDLE: %v", err)
			}
			time.Sleep(100 * time.Millisecond)
			msg := simpleMsg("bench", "x")
			b.ResetTimer()
			for i := range b.N {
				appendMsg(b, appender, "INBOX", msg, nil, time.Time{})
				select {
				case n := <-exists:
					if n != uint32(i+1) {
						b.Fatalf("EXISTS %d, want %d", n, i+1)
					}
				case <-time.After(10 * time.Second):
					b.Fatalf("no EXISTS within 10s")
				}
			}
			b.StopTimer()
			if err := idle.Close(); err != nil {
				b.Fatal(err)
			}
			if err := idle.Wait(); err != nil {
				b.Fatal(err)
			}
		})
	}
}
