//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package imapserver

import (
	"errors"
	"net"
	"syscall"
)

// rawConnOf returns nil: on this system sessions wait for input in
// bufio.Reader.Peek and keep their read buffer (see iobuf.go).
func rawConnOf(net.Conn) syscall.RawConn { return nil }

// waitReadable is never called where rawConnOf returns nil.
func waitReadable(syscall.RawConn) error {
	return errors.New("imapserver: raw wait not supported on this system")
}

// writeNow is never called where rawConnOf returns nil.
func writeNow(syscall.RawConn, []byte) (int, error) {
	return 0, errors.New("imapserver: raw write not supported on this system")
}
