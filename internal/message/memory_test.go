package message

import (
	"io"
	"runtime"
	"strings"
	"testing"
)

// newGenReader produces a message of about size bytes without holding
// it: a multipart with a long text part and a long base64 attachment.
func newGenReader(size int) io.Reader {
	half := size / 2
	textLine := "The quick brown fox jumps over the lazy dog, again and again.\r\n"
	b64Line := "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5\r\n"
	return io.MultiReader(
		strings.NewReader("Subject: big\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\nContent-Type: text/plain\r\n\r\n"),
		&repeatReader{line: textLine, n: half / len(textLine)},
		strings.NewReader("--zz\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"),
		&repeatReader{line: b64Line, n: half / len(b64Line)},
		strings.NewReader("--zz--\r\n"),
	)
}

type repeatReader struct {
	line string
	n    int
	off  int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	total := 0
	for len(p) > 0 && r.n > 0 {
		c := copy(p, r.line[r.off:])
		p, total, r.off = p[c:], total+c, r.off+c
		if r.off == len(r.line) {
			r.off, r.n = 0, r.n-1
		}
	}
	if total == 0 && r.n == 0 {
		return 0, io.EOF
	}
	return total, nil
}

// parseAlloc parses a generated message of size bytes and returns it with
// the bytes allocated meanwhile.
func parseAlloc(t *testing.T, size int) (*Message, uint64) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	m, err := Parse(newGenReader(size))
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	return m, after.TotalAlloc - before.TotalAlloc
}

// TestLargeMessageBoundedMemory parses a 50 MB message and checks that
// the bytes allocated are bounded (search text cap, buffers) and do not
// grow with the message size.
func TestLargeMessageBoundedMemory(t *testing.T) {
	const size = 50 << 20
	_, small := parseAlloc(t, 10<<20)
	m, alloc := parseAlloc(t, size)
	if m.Size < size-1<<20 || len(m.Root.Parts) != 2 {
		t.Fatalf("size %d, %d parts", m.Size, len(m.Root.Parts))
	}
	// The attachment body ends before the CRLF of the closing boundary:
	// 70 bytes per line minus 2, each line decoding to 51 bytes.
	att := m.Root.Parts[1]
	if want := (att.BodyEnd - att.BodyOffset + 2) / 70 * 51; att.DecodedSize != want {
		t.Errorf("attachment decoded size %d, want %d", att.DecodedSize, want)
	}
	if len(m.SearchBody()) != maxSearchBytes {
		t.Errorf("search body %d bytes", len(m.SearchBody()))
	}
	t.Logf("allocated %d KiB for 10 MiB, %d KiB for %d MiB", small>>10, alloc>>10, m.Size>>20)
	if alloc > 24<<20 {
		t.Errorf("allocated %d MiB while parsing %d MiB", alloc>>20, m.Size>>20)
	}
	if alloc > small+1<<20 {
		t.Errorf("allocation grows with size: %d KiB for 10 MiB, %d KiB for 50 MiB", small>>10, alloc>>10)
	}
}
