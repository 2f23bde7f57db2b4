package lmtp

import (
	"fmt"
	"io"
	"os"

	"github.com/emersion/go-smtp"
)

// ErrTooBig is returned (wrapped) by Spool for a message over the limit.
var ErrTooBig error = smtp.ErrDataTooLarge

// Spool copies r into a new temporary file in dir (os.TempDir() when
// empty) and returns it with its size. The file is unlinked as soon as it
// is created, so nothing is left on disk whatever happens to the process;
// the caller closes it. More than max bytes (when max > 0) fail with
// smtp.ErrDataTooLarge.
func Spool(dir string, r io.Reader, max int64) (*os.File, int64, error) {
	f, err := os.CreateTemp(dir, "petrel-lmtp-*")
	if err != nil {
		return nil, 0, fmt.Errorf("spool: %w", err)
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("spool: %w", err)
	}
	src := r
	if max > 0 {
		src = io.LimitReader(r, max+1)
	}
	n, err := io.Copy(f, src)
	if err == nil && max > 0 && n > max {
		err = smtp.ErrDataTooLarge
	}
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("spool: %w", err)
	}
	return f, n, nil
}
