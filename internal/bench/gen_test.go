package bench

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"
)

func TestGenerateDeterministic(t *testing.T) {
	for i := range 50 {
		a := Generate(7, 3, i)
		b := Generate(7, 3, i)
		if !bytes.Equal(a.Body, b.Body) || a.Topic != b.Topic || a.Sender != b.Sender {
			t.Fatalf("message %d differs between two calls", i)
		}
	}
	if bytes.Equal(Generate(7, 3, 0).Body, Generate(8, 3, 0).Body) {
		t.Error("different seeds gave the same message")
	}
	if bytes.Equal(Generate(7, 3, 0).Body, Generate(7, 4, 0).Body) {
		t.Error("different users gave the same message")
	}
}

// checkMIME parses a generated message and returns the size of its
// decoded parts; it fails t on any structural problem.
func checkMIME(t *testing.T, m Message) (shape string) {
	t.Helper()
	if bytes.Contains(bytes.ReplaceAll(m.Body, []byte("\r\n"), nil), []byte("\n")) {
		t.Fatal("bare LF in message")
	}
	for line := range bytes.SplitSeq(m.Body, []byte("\r\n")) {
		if len(line) > 998 {
			t.Fatalf("line of %d bytes (RFC 5322 §2.1.1 limit 998)", len(line))
		}
	}
	msg, err := mail.ReadMessage(bytes.NewReader(m.Body))
	if err != nil {
		t.Fatalf("ReadMessage: %v", err)
	}
	for _, h := range []string{"From", "To", "Subject", "Date", "Message-Id", "Mime-Version", "Content-Type"} {
		if msg.Header.Get(h) == "" {
			t.Errorf("missing header %s", h)
		}
	}
	if _, err := msg.Header.Date(); err != nil {
		t.Errorf("Date: %v", err)
	}
	from, err := msg.Header.AddressList("From")
	if err != nil || len(from) != 1 {
		t.Fatalf("From: %v %v", from, err)
	}
	if _, addr := Sender(m.Sender); from[0].Address != addr {
		t.Errorf("From %s, want sender %s", from[0].Address, addr)
	}
	if _, err := msg.Header.AddressList("To"); err != nil {
		t.Errorf("To: %v", err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("Content-Type: %v", err)
	}
	var text string
	switch mt {
	case "text/plain":
		b, _ := io.ReadAll(msg.Body)
		text = string(b)
	case "multipart/alternative", "multipart/mixed":
		mr := multipart.NewReader(msg.Body, params["boundary"])
		parts := 0
		for {
			p, err := mr.NextRawPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("part %d: %v", parts, err)
			}
			parts++
			b, _ := io.ReadAll(p)
			switch p.Header.Get("Content-Transfer-Encoding") {
			case "base64":
				if _, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(string(b), "\r\n", "")); err != nil {
					t.Errorf("attachment is not valid base64: %v", err)
				}
			default:
				if parts == 1 {
					text = string(b)
				}
			}
		}
		if parts != 2 {
			t.Errorf("%s with %d parts, want 2", mt, parts)
		}
	default:
		t.Fatalf("unexpected Content-Type %s", mt)
	}
	if !strings.Contains(text, m.Topic) {
		t.Errorf("text body lacks the topic %q", m.Topic)
	}
	return mt
}

func TestGenerateMIME(t *testing.T) {
	shapes := map[string]int{}
	topics := map[string]int{}
	var total, big int
	const n = 400
	for i := range n {
		m := Generate(1, 1, i)
		shapes[checkMIME(t, m)]++
		topics[m.Topic]++
		total += len(m.Body)
		if len(m.Body) > 250<<10 {
			t.Errorf("message %d is %d bytes, over 250 KB", i, len(m.Body))
		}
		if len(m.Body) > 20<<10 {
			big++
		}
		if t.Failed() {
			t.Fatalf("message %d:\n%.2000s", i, m.Body)
		}
	}
	for _, s := range []string{"text/plain", "multipart/alternative", "multipart/mixed"} {
		if shapes[s] < n/20 {
			t.Errorf("only %d of %d messages are %s", shapes[s], n, s)
		}
	}
	// Each topic hits a few percent of messages, none dominates.
	for topic, c := range topics {
		if c > n/10 {
			t.Errorf("topic %s in %d of %d messages", topic, c, n)
		}
	}
	if avg := total / n; avg < 5<<10 || avg > 60<<10 {
		t.Errorf("average size %d bytes, want 5–60 KB", avg)
	}
	if big > n/3 {
		t.Errorf("%d of %d messages over 20 KB", big, n)
	}
}

func TestReplyReferencesEarlierMessage(t *testing.T) {
	replies := 0
	for i := range 100 {
		msg, err := mail.ReadMessage(bytes.NewReader(Generate(2, 5, i).Body))
		if err != nil {
			t.Fatal(err)
		}
		ref := msg.Header.Get("References")
		if ref == "" {
			continue
		}
		replies++
		if !strings.HasPrefix(msg.Header.Get("Subject"), "Re: ") || msg.Header.Get("In-Reply-To") != ref {
			t.Errorf("message %d: References without Re:/In-Reply-To", i)
		}
	}
	if replies == 0 {
		t.Error("no replies generated")
	}
}

func TestSenderDistinct(t *testing.T) {
	seen := map[string]bool{}
	for i := range numSenders {
		_, addr := Sender(i)
		if seen[addr] {
			t.Errorf("sender %d repeats %s", i, addr)
		}
		seen[addr] = true
	}
}
