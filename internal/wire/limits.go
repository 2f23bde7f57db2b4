// Package wire is Petrel's IMAP wire layer: a streaming command decoder and a
// response encoder (RFC 9051 §4 and §9, with the syntax of the extensions the
// server speaks). It turns bytes into the typed commands of internal/imap
// and typed values back into bytes, enforces every size limit on client
// input, and knows nothing of sessions or storage.
package wire

import "fmt"

// Limits bounds what one client command may make the server read and hold.
// Every value must be positive; DefaultLimits gives sane ones.
type Limits struct {
	MaxLine        int   // max bytes of a command line, not counting literals (64 KiB)
	MaxLiteral     int64 // max size of one non-APPEND literal (e.g. 1 MiB)
	MaxCommand     int64 // max total literal bytes in one non-APPEND command (e.g. 8 MiB)
	MaxAppend      int64 // APPENDLIMIT: max APPEND literal
	MaxDepth       int   // max parenthesis nesting (64)
	MaxRanges      int   // max ranges in one sequence set (10,000)
	MaxMailboxName int   // max bytes of a mailbox name (1,000)
}

// DefaultLimits returns the limits Petrel uses unless configured otherwise.
func DefaultLimits() Limits {
	return Limits{
		MaxLine:        64 << 10,
		MaxLiteral:     1 << 20,
		MaxCommand:     8 << 20,
		MaxAppend:      64 << 20,
		MaxDepth:       64,
		MaxRanges:      10000,
		MaxMailboxName: 1000,
	}
}

// discardCap is the largest non-synchronizing literal the decoder will read
// and throw away after refusing it; past it the connection is closed
// (RFC 7888 §4 allows it).
func (l Limits) discardCap() int64 {
	c := 4 * max(l.MaxAppend, l.MaxCommand, l.MaxLiteral)
	return max(c, 64<<20)
}

// Error is a protocol error for one command. Kind is "BAD" or "NO"; Code a
// response code without brackets ("TOOBIG", "PARSE", "CLIENTBUG"...) or "";
// Text a clear human text. Tag is the command's tag when it was read (""
// if not: then the session answers "* BAD"). Fatal: the session must send
// the response then close the connection because the stream cannot be
// resynchronised.
type Error struct {
	Tag, Kind, Code, Text string
	Fatal                 bool
}

// Error formats the error like the response the session sends.
func (e *Error) Error() string {
	tag := e.Tag
	if tag == "" {
		tag = "*"
	}
	if e.Code != "" {
		return fmt.Sprintf("%s %s [%s] %s", tag, e.Kind, e.Code, e.Text)
	}
	return fmt.Sprintf("%s %s %s", tag, e.Kind, e.Text)
}

// bad returns a BAD error without a code.
func bad(format string, args ...any) *Error {
	return &Error{Kind: "BAD", Text: fmt.Sprintf(format, args...)}
}

// tooBig returns a BAD [TOOBIG] error.
func tooBig(format string, args ...any) *Error {
	return &Error{Kind: "BAD", Code: "TOOBIG", Text: fmt.Sprintf(format, args...)}
}
