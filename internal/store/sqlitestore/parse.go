package sqlitestore

import (
	"bytes"
	"io"

	"petrel.dev/petrel/internal/message"
)

// TEMPORARY shim until internal/message lands; replaced at the end.

func parseMessage(r io.Reader) (m *message.Message, err error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	off := int64(len(b))
	if i := bytes.Index(b, []byte("\r\n\r\n")); i >= 0 {
		off = int64(i + 4)
	} else if i := bytes.Index(b, []byte("\n\n")); i >= 0 {
		off = int64(i + 2)
	}
	return &message.Message{Preview: string(b[off:]), Size: int64(len(b)), Root: &message.Part{BodyOffset: off, BodyEnd: int64(len(b))}}, nil
}

func marshalStructure(m *message.Message) []byte { return []byte("structure") }

func searchText(m *message.Message, header []byte) (body, hdr []byte) {
	return []byte(message.Fold(m.Preview)), []byte(message.Fold(string(header)))
}
