package differential

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// raceSample is how many messages the test compares under the race
// detector, which slows Petrel several times over; the full corpus runs
// without it (see doc.go).
const raceSample = 600

// fetchBatch is how many messages one pipelined FETCH covers.
const fetchBatch = 50

// maxParts bounds the parts compared per message.
const maxParts = 200

// goal is the share of identical values the test requires.
const goal = 0.995

// headerFields is the HEADER.FIELDS list compared.
const headerFields = "From To Cc Subject Date Message-ID Content-Type"

// messageItems are the per-message FETCH items, as requested and as
// reported (the report name is the response's item name, upper-cased).
var messageItems = []struct{ Request, Response string }{
	{"ENVELOPE", "ENVELOPE"},
	{"BODYSTRUCTURE", "BODYSTRUCTURE"},
	{"BODY", "BODY"},
	{"RFC822.SIZE", "RFC822.SIZE"},
	{"BODY.PEEK[HEADER]", "BODY[HEADER]"},
	{"BODY.PEEK[TEXT]", "BODY[TEXT]"},
	{"BODY.PEEK[HEADER.FIELDS (" + headerFields + ")]", "BODY[HEADER.FIELDS (" + strings.ToUpper(headerFields) + ")]"},
}

// TestDifferential appends the corpus to Dovecot and Petrel and compares
// their FETCH answers byte for byte.
func TestDifferential(t *testing.T) {
	start := time.Now()
	msgs := loadCorpus(t)
	if raceEnabled {
		msgs = sample(msgs, raceSample)
	}
	bin := buildPetrel(t)
	targets := [2]target{startDovecot(t), startPetrel(t, bin)}
	// Per server, one connection for everything but BINARY.SIZE, and
	// one for BINARY.SIZE, which Dovecot may answer by disconnecting.
	var clients, binClients [2]*client
	for i, tg := range targets {
		for _, cs := range []*[2]*client{&clients, &binClients} {
			c, err := dial(tg)
			if err != nil {
				t.Fatalf("%s: %v", tg.Name, err)
			}
			t.Cleanup(func() { c.Close() })
			cs[i] = c
		}
	}
	data := make([][]byte, len(msgs))
	for i, m := range msgs {
		data[i] = m.Data
	}
	if err := onBoth(clients, func(c *client) error {
		start := time.Now()
		if err := appendAll(c, data); err != nil {
			return err
		}
		t.Logf("%s: APPEND took %v", c.tg.Name, time.Since(start).Round(time.Millisecond))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, c := range binClients {
		if r, err := c.run([]byte("SELECT INBOX")); err != nil || r.Status != "OK" {
			t.Fatalf("%s: SELECT: %v %s %s", c.tg.Name, err, r.Status, r.Text)
		}
	}
	t.Logf("appended %d messages to both servers in %v", len(msgs), time.Since(start).Round(time.Millisecond))

	rep := newReport()
	for _, m := range msgs {
		// Dovecot's storage drops a CR from CR CR LF (see
		// docs/message-model.md §D6): mark those messages' differences.
		if bytes.Contains(m.Data, []byte("\r\r\n")) {
			rep.notes[m.Name] = " (CR CR LF in message)"
		}
	}
	for lo := 1; lo <= len(msgs); lo += fetchBatch {
		hi := min(lo+fetchBatch-1, len(msgs))
		if err := compareBatch(clients, binClients, msgs, lo, hi, rep); err != nil {
			t.Fatal(err)
		}
	}
	rep.log(t)
	t.Logf("compared %d messages in %v", len(msgs), time.Since(start).Round(time.Millisecond))

	if share := rep.share(); share < goal {
		t.Errorf("identical share %.3f%% is below the goal of %.1f%%", 100*share, 100*goal)
	}
	for _, key := range rep.classKeys() {
		if _, ok := allowed[key]; !ok {
			c := rep.classes[key]
			t.Errorf("difference class not explained in docs/message-model.md: %s (%d)\n\t%s", key, c.count, c.example)
		}
	}
}

// onBoth runs f on both clients at once and joins their errors.
func onBoth(clients [2]*client, f func(*client) error) error {
	var wg sync.WaitGroup
	var errs [2]error
	for i, c := range clients {
		wg.Go(func() { errs[i] = f(c) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return fmt.Errorf("server %d: %w", i, err)
		}
	}
	return nil
}

// fetched is one server's answer for a message: item name → value, and
// the status of commands that failed ("NO …") under the item name.
type fetched map[string]*value

// compareBatch compares messages lo..hi (sequence numbers).
func compareBatch(clients, binClients [2]*client, msgs []corpusMessage, lo, hi int, rep *report) error {
	var req []string
	for _, it := range messageItems {
		req = append(req, it.Request)
	}
	cmd := fmt.Appendf(nil, "FETCH %d:%d (%s)", lo, hi, strings.Join(req, " "))
	var got [2]map[int]fetched
	err := onBoth(clients, func(c *client) error {
		i := 0
		if c == clients[1] {
			i = 1
		}
		r, err := c.run(cmd)
		if err != nil {
			return err
		}
		if r.Status != "OK" {
			return fmt.Errorf("%s: %s %s", cmd, r.Status, r.Text)
		}
		got[i], err = collectFetch(r.Untagged)
		return err
	})
	if err != nil {
		return err
	}

	// Parts come from Dovecot's BODYSTRUCTURE, the reference.
	var cmds, binCmds []partCmd
	for seq := lo; seq <= hi; seq++ {
		name := msgs[seq-1].Name
		for _, it := range messageItems {
			rep.compare(name, seq, it.Response, got[0][seq][it.Response], got[1][seq][it.Response], it.Response)
		}
		parts := partPaths(got[0][seq]["BODYSTRUCTURE"])
		if len(parts) == 0 {
			continue
		}
		var items, names []string
		for _, p := range parts {
			items = append(items, "BODY.PEEK["+p.path+"]", "BODY.PEEK["+p.path+".MIME]")
			names = append(names, "BODY["+p.path+"]", "BODY["+p.path+".MIME]")
		}
		cmds = append(cmds, partCmd{seq: seq, items: names, cmd: fmt.Appendf(nil, "FETCH %d (%s)", seq, strings.Join(items, " "))})
		for _, p := range parts {
			binCmds = append(binCmds, partCmd{seq: seq, items: []string{"BINARY.SIZE[" + p.path + "]"},
				cmd: fmt.Appendf(nil, "FETCH %d (BINARY.SIZE[%s])", seq, p.path), container: p.container})
		}
	}
	if len(cmds) == 0 {
		return nil
	}
	raw := make([][]byte, len(cmds))
	for i, pc := range cmds {
		raw[i] = pc.cmd
	}
	binRaw := make([][]byte, len(binCmds))
	for i, pc := range binCmds {
		binRaw[i] = pc.cmd
	}
	var results, binResults [2][]result
	var untagged, binUntagged [2][][]byte
	var wg sync.WaitGroup
	var errs [4]error
	for i := range 2 {
		wg.Go(func() { results[i], untagged[i], errs[i] = clients[i].pipeline(raw) })
		wg.Go(func() { binResults[i], binUntagged[i], errs[2+i] = binClients[i].pipelineReconnect(binRaw) })
	}
	wg.Wait()
	if err := errors.Join(errs[:]...); err != nil {
		return err
	}
	cmds = append(cmds, binCmds...)
	var all [2]map[int]fetched
	for s := range 2 {
		results[s] = append(results[s], binResults[s]...)
		all[s], err = collectFetch(append(untagged[s], binUntagged[s]...))
		if err != nil {
			return err
		}
	}
	// A BINARY.SIZE that differs is checked against the length of
	// Dovecot's own BINARY for the part.
	binLen, err := binaryLengths(binClients, binCmds, binResults, all)
	if err != nil {
		return err
	}
	for i, pc := range cmds {
		var f [2]fetched
		for s := range 2 {
			if r := results[s][i]; r.Status != "OK" {
				f[s] = fetched{}
				for _, item := range pc.items {
					f[s][item] = &value{Kind: kindAtom, Raw: []byte(r.Status), Str: []byte(r.Text)}
				}
				continue
			}
			f[s] = all[s][pc.seq]
		}
		for _, item := range pc.items {
			note := ""
			n, same := binLen[binKey{pc.seq, item}]
			d, p := f[0][item], f[1][item]
			switch {
			case same && p != nil && string(p.Raw) == strconv.Itoa(n):
				note = "value, petrel's = length of the same BINARY[n] from both"
			case pc.container && d != nil && p != nil && status(d) == "OK" && status(p) == "OK" && !bytes.Equal(d.Raw, p.Raw):
				note = "value, multipart or message part"
			}
			rep.compareAs(msgs[pc.seq-1].Name, pc.seq, item, d, p, genericItem(item), note)
		}
	}
	return nil
}

// partCmd is one per-part FETCH command of a message.
type partCmd struct {
	seq       int
	items     []string // report names of the items it fetches
	cmd       []byte
	container bool // the part is a multipart or a message/rfc822
}

// binKey names one BINARY.SIZE item of one message.
type binKey struct {
	seq  int
	item string
}

// binaryLengths fetches BINARY[part] from both servers for every
// BINARY.SIZE item they answered with different numbers, and returns, for
// those where both BINARY values are the same bytes, their length.
func binaryLengths(clients [2]*client, binCmds []partCmd, binResults [2][]result, all [2]map[int]fetched) (map[binKey]int, error) {
	var keys []binKey
	var cmds [][]byte
	for i, pc := range binCmds {
		if binResults[0][i].Status != "OK" || binResults[1][i].Status != "OK" {
			continue
		}
		item := pc.items[0]
		d, p := all[0][pc.seq][item], all[1][pc.seq][item]
		if d == nil || p == nil || string(d.Raw) == string(p.Raw) {
			continue
		}
		part := strings.TrimSuffix(strings.TrimPrefix(item, "BINARY.SIZE["), "]")
		keys = append(keys, binKey{pc.seq, item})
		cmds = append(cmds, fmt.Appendf(nil, "FETCH %d (BINARY.PEEK[%s])", pc.seq, part))
	}
	out := map[binKey]int{}
	if len(cmds) == 0 {
		return out, nil
	}
	var rs [2][]result
	var got [2]map[int]fetched
	for s, c := range clients {
		var untagged [][]byte
		var err error
		if rs[s], untagged, err = c.pipelineReconnect(cmds); err != nil {
			return nil, err
		}
		if got[s], err = collectFetch(untagged); err != nil {
			return nil, err
		}
	}
	for i, k := range keys {
		name := "BINARY[" + strings.TrimPrefix(k.item, "BINARY.SIZE[")
		d, p := got[0][k.seq][name], got[1][k.seq][name]
		if rs[0][i].Status == "OK" && rs[1][i].Status == "OK" && d != nil && p != nil &&
			d.isString() && p.isString() && bytes.Equal(d.Str, p.Str) {
			out[k] = len(d.Str)
		}
	}
	return out, nil
}

// collectFetch merges the untagged FETCH responses by sequence number.
func collectFetch(untagged [][]byte) (map[int]fetched, error) {
	out := map[int]fetched{}
	for _, u := range untagged {
		if !isFetch(u) {
			continue
		}
		seq, items, err := parseFetch(u)
		if err != nil {
			return nil, fmt.Errorf("%w in %q", err, trunc(u))
		}
		if out[seq] == nil {
			out[seq] = fetched{}
		}
		for k, v := range items {
			out[seq][k] = v
		}
	}
	return out, nil
}

// isFetch reports whether an untagged response is "* n FETCH (…".
func isFetch(u []byte) bool {
	i := 2
	for i < len(u) && u[i] >= '0' && u[i] <= '9' {
		i++
	}
	return i > 2 && strings.HasPrefix(string(u[i:min(len(u), i+8)]), " FETCH (")
}

// genericItem replaces the part number in an item name by "n", so that
// statistics and classes group BODY[1], BODY[2.1], … together.
func genericItem(item string) string {
	open := strings.IndexByte(item, '[')
	end := strings.IndexByte(item, ']')
	if open < 0 || end < open {
		return item
	}
	sec := item[open+1 : end]
	suffix := ""
	if strings.HasSuffix(sec, ".MIME") {
		sec, suffix = strings.TrimSuffix(sec, ".MIME"), ".MIME"
	}
	for _, f := range strings.Split(sec, ".") {
		if _, err := strconv.Atoi(f); err != nil {
			return item
		}
	}
	return item[:open+1] + "n" + suffix + item[end:]
}

// partInfo is one part of a message: its section part number, and
// whether it is a multipart or message/rfc822 part (a container).
type partInfo struct {
	path      string
	container bool
}

// partPaths lists the section part numbers of every part of a message
// whose BODYSTRUCTURE is bs (RFC 9051 §6.4.5): the children of
// multiparts, and the parts inside message/rfc822 parts; part 1 of a
// non-multipart message is its body.
func partPaths(bs *value) []partInfo {
	var out []partInfo
	isMultipart := func(v *value) bool {
		return v != nil && v.Kind == kindList && len(v.Items) > 0 && v.Items[0].Kind == kindList
	}
	isMessage := func(v *value) bool {
		return len(v.Items) > 8 && strings.EqualFold(string(v.Items[0].Str), "message") &&
			(strings.EqualFold(string(v.Items[1].Str), "rfc822") || strings.EqualFold(string(v.Items[1].Str), "global"))
	}
	var walk func(v *value, path string, root bool, depth int)
	walk = func(v *value, path string, root bool, depth int) {
		if v == nil || v.Kind != kindList || len(v.Items) == 0 || depth > 50 || len(out) >= maxParts {
			return
		}
		join := func(n int) string {
			if path == "" {
				return strconv.Itoa(n)
			}
			return path + "." + strconv.Itoa(n)
		}
		if isMultipart(v) {
			for i, c := range v.Items {
				if c.Kind != kindList {
					break
				}
				p := join(i + 1)
				out = append(out, partInfo{p, isMultipart(c) || isMessage(c)})
				walk(c, p, false, depth+1)
			}
			return
		}
		self := path
		if root {
			self = "1"
			out = append(out, partInfo{self, isMessage(v)})
		}
		if isMessage(v) {
			inner := v.Items[8]
			if isMultipart(inner) {
				walk(inner, self, false, depth+1)
				return
			}
			p := self + ".1"
			out = append(out, partInfo{p, inner.Kind == kindList && isMessage(inner)})
			walk(inner, p, false, depth+1)
		}
	}
	walk(bs, "", true, 0)
	return out
}
