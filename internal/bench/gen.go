package bench

// The message generator makes deterministic, realistic-looking mail: the
// same (seed, user, index) always yields the same bytes. Shapes: about 55%
// text/plain, 35% multipart/alternative (text + HTML), 10%
// multipart/mixed with a base64 attachment of 10–200 KB; text bodies are
// mostly 2–20 KB. Every message has one of len(Topics) topic words in its
// body (and, half the time, in its subject), and one of the len(Senders())
// senders, so SEARCH TEXT/SUBJECT/FROM terms each match a few percent of a
// mailbox.

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Topics are the search words: each message carries exactly one of them,
// in its text body always and in its subject with probability 1/2.
var Topics = []string{
	"kestrel", "harbour", "quarterly", "migration", "invoice", "roadmap",
	"offsite", "firmware", "audit", "payroll", "lighthouse", "compiler",
	"warehouse", "sandstone", "telescope", "orchard", "glacier", "turbine",
	"ledger", "pavilion", "cobalt", "meridian", "saffron", "trellis",
	"vortex", "bramble", "citadel", "dynamo", "estuary", "falcon",
}

var firstNames = []string{"alice", "bruno", "chloe", "daniel", "emma", "farid",
	"grace", "hugo", "ines", "jonas", "karim", "lea"}

var lastNames = []string{"martin", "bernard", "dubois", "garcia", "muller",
	"rossi", "novak"} // 12×7/2 = 42 senders, below

var domains = []string{"example.com", "example.org", "example.net"}

// vocabulary is the filler text; it shares no word with Topics.
var vocabulary = strings.Fields(`the a of and to in is that for it on with as
was at by be this have from or one had not but what all were when we there
can an your which their said if do will each about how up out them then she
many some so these would other into has more her two like him see time could
no make than first been its who now people my made over did down only way
find use may water long little very after words called just where most know
meeting project team please review attached draft update schedule budget
client report question thanks regards next week monday friday call agenda
notes action items deadline proposal contract feedback release version
server backup network storage account access request approval summary`)

// Sender returns the display name and address of sender number i.
func Sender(i int) (name, addr string) {
	f := firstNames[i%len(firstNames)]
	l := lastNames[(i/len(firstNames))%len(lastNames)]
	d := domains[i%len(domains)]
	return title(f) + " " + title(l), f + "." + l + "@" + d
}

// numSenders is how many distinct senders messages are drawn from.
const numSenders = 42

func title(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// baseDate is the Date of message 0; later messages are later in time.
var baseDate = time.Date(2025, 1, 6, 8, 0, 0, 0, time.UTC)

// Message describes one generated message besides its bytes.
type Message struct {
	Topic  string // the topic word carried by the message
	Sender int    // the sender number (see Sender)
	Body   []byte // the complete RFC 5322 message, CRLF line endings
}

// Generate returns message number index of user number user for seed.
func Generate(seed uint64, user, index int) Message {
	r := rand.New(rand.NewPCG(seed, uint64(user)<<32|uint64(uint32(index))))
	m := Message{Topic: Topics[r.IntN(len(Topics))], Sender: r.IntN(numSenders)}
	var b bytes.Buffer
	name, addr := Sender(m.Sender)
	date := baseDate.Add(time.Duration(index)*7*time.Minute + time.Duration(r.IntN(300))*time.Second)
	host := domains[m.Sender%len(domains)]
	fmt.Fprintf(&b, "Return-Path: <%s>\r\n", addr)
	fmt.Fprintf(&b, "Received: from mx%d.%s (mx%d.%s [192.0.2.%d])\r\n\tby mail.example.com with ESMTPS id %016x\r\n\tfor <user%d@example.com>; %s\r\n",
		r.IntN(4), host, r.IntN(4), host, 1+r.IntN(250), r.Uint64(), user, date.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "From: %s <%s>\r\n", name, addr)
	fmt.Fprintf(&b, "To: %s\r\n", recipients(r, 1+r.IntN(3)))
	if r.IntN(3) == 0 {
		fmt.Fprintf(&b, "Cc: %s\r\n", recipients(r, 1+r.IntN(2)))
	}
	subject := sentence(r, 3+r.IntN(5), false)
	if r.IntN(2) == 0 {
		subject = title(m.Topic) + " " + subject
	}
	reply := index > 0 && r.IntN(10) < 3
	if reply {
		subject = "Re: " + subject
	}
	fmt.Fprintf(&b, "Subject: %s\r\n", subject)
	fmt.Fprintf(&b, "Date: %s\r\n", date.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: %s\r\n", messageID(seed, user, index))
	if reply {
		parent := r.IntN(index)
		fmt.Fprintf(&b, "In-Reply-To: %s\r\nReferences: %s\r\n",
			messageID(seed, user, parent), messageID(seed, user, parent))
	}
	b.WriteString("MIME-Version: 1.0\r\n")

	shape := r.IntN(100)
	size := textSize(r)
	if shape >= 55 && shape < 90 {
		size /= 2 // the HTML alternative about doubles the message
	}
	text := paragraphs(r, size, m.Topic)
	boundary := fmt.Sprintf("=_bench_%016x", r.Uint64())
	switch {
	case shape < 55:
		b.WriteString("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n")
		b.WriteString(text)
	case shape < 90:
		fmt.Fprintf(&b, "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n", boundary)
		b.WriteString("This is a multi-part message in MIME format.\r\n")
		fmt.Fprintf(&b, "--%s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n%s", boundary, text)
		fmt.Fprintf(&b, "--%s\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n%s", boundary, html(text))
		fmt.Fprintf(&b, "--%s--\r\n", boundary)
	default:
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n", boundary)
		fmt.Fprintf(&b, "--%s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n%s", boundary, text)
		attach := make([]byte, 10<<10+r.IntN(140<<10))
		for i := range attach {
			attach[i] = byte(r.Uint32())
		}
		fname := fmt.Sprintf("%s-%d.pdf", m.Topic, index)
		fmt.Fprintf(&b, "--%s\r\nContent-Type: application/pdf; name=\"%s\"\r\nContent-Disposition: attachment; filename=\"%s\"\r\nContent-Transfer-Encoding: base64\r\n\r\n", boundary, fname, fname)
		writeBase64(&b, attach)
		fmt.Fprintf(&b, "--%s--\r\n", boundary)
	}
	m.Body = b.Bytes()
	return m
}

func messageID(seed uint64, user, index int) string {
	return fmt.Sprintf("<%x.%d.%d@bench.example.com>", seed, user, index)
}

func recipients(r *rand.Rand, n int) string {
	parts := make([]string, n)
	for i := range parts {
		name, addr := Sender(r.IntN(numSenders))
		parts[i] = name + " <" + addr + ">"
	}
	return strings.Join(parts, ",\r\n ")
}

// textSize returns a text body size: 80% 2–20 KB, 15% 300 B–2 KB, 5% 20–60 KB.
func textSize(r *rand.Rand) int {
	switch p := r.IntN(100); {
	case p < 15:
		return 300 + r.IntN(1700)
	case p < 95:
		return 2<<10 + r.IntN(18<<10)
	default:
		return 20<<10 + r.IntN(40<<10)
	}
}

// sentence returns n vocabulary words, capitalised and ended with a
// period when full.
func sentence(r *rand.Rand, n int, full bool) string {
	w := make([]string, n)
	for i := range w {
		w[i] = vocabulary[r.IntN(len(vocabulary))]
	}
	s := strings.Join(w, " ")
	if full {
		s = title(s) + "."
	}
	return s
}

// paragraphs returns about size bytes of text wrapped at 72 columns with
// CRLF line ends; the topic word appears in the first paragraph.
func paragraphs(r *rand.Rand, size int, topic string) string {
	var b strings.Builder
	b.WriteString("Hello,\r\n\r\n")
	col := 0
	first := true
	for b.Len() < size {
		s := sentence(r, 6+r.IntN(12), true)
		if first {
			s = "About the " + topic + ": " + s
			first = false
		}
		for _, w := range strings.Fields(s) {
			if col > 0 && col+1+len(w) > 72 {
				b.WriteString("\r\n")
				col = 0
			}
			if col > 0 {
				b.WriteByte(' ')
				col++
			}
			b.WriteString(w)
			col += len(w)
		}
		if r.IntN(5) == 0 {
			b.WriteString("\r\n\r\n")
			col = 0
		}
	}
	b.WriteString("\r\n\r\nRegards\r\n")
	return b.String()
}

func html(text string) string {
	var b strings.Builder
	b.WriteString("<html><body>\r\n")
	for _, p := range strings.Split(text, "\r\n\r\n") {
		if p = strings.TrimSpace(p); p != "" {
			b.WriteString("<p>" + p + "</p>\r\n")
		}
	}
	b.WriteString("</body></html>\r\n")
	return b.String()
}

// writeBase64 writes data base64-encoded in 76-column CRLF lines.
func writeBase64(b *bytes.Buffer, data []byte) {
	enc := base64.StdEncoding.EncodeToString(data)
	for len(enc) > 76 {
		b.WriteString(enc[:76])
		b.WriteString("\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc)
	b.WriteString("\r\n")
}
