//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package imapserver

import (
	"net"
	"syscall"
)

// rawConnOf returns the raw connection of c when a session can wait for
// its input without a buffer (see iobuf.go): a plain TCP connection, not
// TLS, whose buffered records a peek at the socket would not see.
func rawConnOf(c net.Conn) syscall.RawConn {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return nil
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}

// waitReadable blocks until rc has input, end of stream or an error to
// report, without consuming anything: it peeks at one byte and lets the
// runtime poller wait while there is none. Its error is the poller's
// (a deadline, a closed connection).
func waitReadable(rc syscall.RawConn) error {
	var b [1]byte
	return rc.Read(func(fd uintptr) bool {
		for {
			_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK)
			switch err {
			case syscall.EINTR:
				continue
			case syscall.EAGAIN:
				return false // wait for the poller, then peek again
			}
			return true // data, end of stream, or an error the read reports
		}
	})
}

// writeNow writes as much of p to rc as the socket takes without waiting
// and returns how much that was. Its error is the write's, other than
// EAGAIN (the socket buffer is full: n < len(p), nil).
func writeNow(rc syscall.RawConn, p []byte) (n int, err error) {
	werr := rc.Write(func(fd uintptr) bool {
		for n < len(p) {
			m, e := syscall.Write(int(fd), p[n:])
			if e == syscall.EINTR {
				continue
			}
			if e == syscall.EAGAIN {
				return true
			}
			if e != nil {
				err = e
				return true
			}
			if m <= 0 {
				return true
			}
			n += m
		}
		return true
	})
	if err == nil {
		err = werr
	}
	return n, err
}
