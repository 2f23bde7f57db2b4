package sqlitestore

import (
	"io"

	"petrel.dev/petrel/internal/message"
)

// parseMessage parses the message as Append streams it to disk: r is a
// TeeReader whose every byte also goes to the file.
func parseMessage(r io.Reader) (*message.Message, error) { return message.Parse(r) }

// searchText returns what SearchText matches against, folded for the
// i;unicode-casemap comparator (RFC 5051 via message.Fold): the decoded
// body text, and the decoded header fields.
func searchText(m *message.Message, header []byte) (body, hdr []byte) {
	return []byte(message.Fold(m.SearchBody())), []byte(message.Fold(message.SearchHeader(header)))
}
