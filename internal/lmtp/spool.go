package lmtp

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/emersion/go-smtp"
)

// ErrTooBig is returned (wrapped) by Spool for a message over the limit.
var ErrTooBig error = smtp.ErrDataTooLarge

// SpoolMemory is how much of a message Spool keeps in memory; a larger
// message goes to a temporary file. With the connection limit (100 by
// default) it bounds the memory DATA can hold: at most 100 MiB. Most
// mail is far smaller, and a message kept in memory costs no file
// creation and removal, which on a busy filesystem is the most expensive
// part of spooling.
const SpoolMemory = 1 << 20

// Spooled is a received message, in memory or in an unlinked temporary
// file; Close releases it.
type Spooled struct {
	mem []byte
	f   *os.File
}

// ReadAt reads the spooled message at off.
func (s *Spooled) ReadAt(p []byte, off int64) (int, error) {
	if s.f != nil {
		return s.f.ReadAt(p, off)
	}
	return bytes.NewReader(s.mem).ReadAt(p, off)
}

// Close removes the spooled message.
func (s *Spooled) Close() error {
	s.mem = nil
	if s.f != nil {
		return s.f.Close()
	}
	return nil
}

// Spool reads r whole and returns it with its size: in memory up to
// SpoolMemory bytes, beyond that in a new temporary file in dir
// (os.TempDir() when empty) that is unlinked as soon as it is created,
// so nothing is left on disk whatever happens to the process. More than
// max bytes (when max > 0) fail with smtp.ErrDataTooLarge.
func Spool(dir string, r io.Reader, max int64) (*Spooled, int64, error) {
	src := r
	if max > 0 {
		src = io.LimitReader(r, max+1)
	}
	tooBig := func(n int64) bool { return max > 0 && n > max }
	buf, err := readUpTo(src, SpoolMemory+1)
	if err != nil {
		return nil, 0, fmt.Errorf("spool: %w", err)
	}
	if tooBig(int64(len(buf))) {
		return nil, 0, fmt.Errorf("spool: %w", smtp.ErrDataTooLarge)
	}
	if len(buf) <= SpoolMemory {
		return &Spooled{mem: buf}, int64(len(buf)), nil
	}
	f, err := os.CreateTemp(dir, "petrel-lmtp-*")
	if err != nil {
		return nil, 0, fmt.Errorf("spool: %w", err)
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("spool: %w", err)
	}
	n, err := f.Write(buf)
	if err == nil {
		var m int64
		m, err = io.Copy(f, src)
		n += int(m)
	}
	if err == nil && tooBig(int64(n)) {
		err = smtp.ErrDataTooLarge
	}
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("spool: %w", err)
	}
	return &Spooled{f: f}, int64(n), nil
}

// readUpTo reads r until EOF or limit bytes, growing its buffer as the
// data arrives rather than allocating limit up front.
func readUpTo(r io.Reader, limit int) ([]byte, error) {
	buf := make([]byte, 0, 16<<10)
	for len(buf) < limit {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):min(cap(buf), limit)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
	return buf, nil
}
