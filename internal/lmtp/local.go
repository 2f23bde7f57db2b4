package lmtp

import (
	"bufio"
	"bytes"
	"io"
)

// maxFromLine bounds the mbox "From " envelope line LocalMessage skips.
const maxFromLine = 1000

// LocalMessage adapts a message piped by an MTA to a delivery command
// (Postfix's mailbox_command, procmail-style) to what IMAP stores: a
// leading mbox envelope line ("From sender date", which Postfix's local
// delivery agent prepends) is dropped, as dovecot-lda drops it, and bare
// LF line ends become CRLF (RFC 5322 §2.1). CRLF already present is kept.
func LocalMessage(r io.Reader) io.Reader {
	return &localReader{br: bufio.NewReaderSize(r, 32<<10), start: true}
}

type localReader struct {
	br     *bufio.Reader
	start  bool // before the first line
	prevCR bool // the last byte passed on was CR
	out    []byte
	err    error
}

func (l *localReader) Read(p []byte) (int, error) {
	if l.start {
		l.start = false
		if head, err := l.br.Peek(5); err == nil && string(head) == "From " {
			// Peek returns fewer bytes at EOF; the line counts only
			// if it ends within maxFromLine bytes.
			line, _ := l.br.Peek(maxFromLine)
			if i := bytes.IndexByte(line, '\n'); i >= 0 {
				l.br.Discard(i + 1)
			}
		}
	}
	n := 0
	for n < len(p) {
		if len(l.out) > 0 {
			c := copy(p[n:], l.out)
			l.out = l.out[c:]
			n += c
			continue
		}
		if l.err != nil {
			break
		}
		b, err := l.br.ReadByte()
		if err != nil {
			l.err = err
			break
		}
		if b == '\n' && !l.prevCR {
			l.out = append(l.out[:0], '\r', '\n')
		} else {
			p[n] = b
			n++
		}
		l.prevCR = b == '\r'
	}
	if n > 0 {
		return n, nil
	}
	return 0, l.err
}
