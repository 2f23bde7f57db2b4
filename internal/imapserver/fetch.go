package imapserver

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"strconv"
	"strings"

	"petrel.dev/petrel/internal/imap"
	"petrel.dev/petrel/internal/message"
	"petrel.dev/petrel/internal/store"
)

// fetchChunk is how many messages one call of Mailbox.Messages loads
// (the store reads them in smaller chunks, with one prepared statement
// per call), and how many get \Seen in one transaction.
const fetchChunk = 4096

// fetchBatch is the size of the buffer that collects the responses of a
// FETCH of at least fetchBatchMin messages before they are written to the
// connection.
const (
	fetchBatch    = 64 << 10
	fetchBatchMin = 64
)

// cmdFetch implements FETCH and UID FETCH (RFC 9051 §6.4.5, §6.4.9),
// BINARY (RFC 3516) and the rev1 RFC822 items (RFC 3501 §6.4.5).
// ENVELOPE, BODYSTRUCTURE and header sections come from what the store
// kept at delivery; only body sections read the message file.
func (s *session) cmdFetch(cmd *imap.Command) error {
	args := cmd.Args.(*imap.FetchArgs)
	if _, ok := args.Modifiers["VANISHED"]; ok {
		// RFC 7162 §3.2.6: only in UID FETCH, with CHANGEDSINCE, after
		// ENABLE QRESYNC.
		since, ok := args.Modifiers["CHANGEDSINCE"]
		switch {
		case !s.qresync:
			return respBad("", "VANISHED without ENABLE QRESYNC")
		case !cmd.UID:
			return respBad("", "VANISHED is only valid in UID FETCH")
		case !ok:
			return respBad("", "VANISHED needs CHANGEDSINCE")
		}
		atts := args.Atts
		if !hasAtt(atts, imap.FetchUID) {
			atts = append([]imap.FetchAtt{{Kind: imap.FetchUID}}, atts...)
		}
		return s.resync(args.Set, since, atts)
	}
	if err := s.badSeqSet(args.Set, cmd.UID); err != nil {
		return err
	}
	return s.fetch(args, cmd.UID)
}

func hasAtt(atts []imap.FetchAtt, k imap.FetchKind) bool {
	for _, a := range atts {
		if a.Kind == k {
			return true
		}
	}
	return false
}

// fetch runs a FETCH (uid: UID FETCH) whose arguments have been checked.
func (s *session) fetch(args *imap.FetchArgs, uid bool) error {
	changedSince, hasChangedSince := uint64(0), false
	for name, v := range args.Modifiers {
		if name != "CHANGEDSINCE" {
			return respBad("", "Unsupported FETCH modifier "+name)
		}
		changedSince, hasChangedSince = v, true
	}
	atts := args.Atts
	var want store.Want
	setSeen := false
	hasUID, hasModSeq := false, false
	for _, a := range atts {
		switch a.Kind {
		case imap.FetchUID:
			hasUID = true
		case imap.FetchModSeq:
			hasModSeq = true
		case imap.FetchFlags, imap.FetchInternalDate, imap.FetchRFC822Size, imap.FetchSaveDate,
			imap.FetchEmailID, imap.FetchThreadID:
		case imap.FetchEnvelope:
			want |= store.WantEnvelope
		case imap.FetchBody, imap.FetchBodyStructure:
			want |= store.WantBodyStructure
		case imap.FetchBinarySize, imap.FetchPreview:
			want |= store.WantStructure
		case imap.FetchBodySection, imap.FetchBinarySection, imap.FetchRFC822, imap.FetchRFC822Header, imap.FetchRFC822Text:
			// The whole message (BODY[], RFC822) is a byte range of
			// the stored message: it needs neither the model nor the
			// header block, only the size from the mailbox state.
			whole := a.Kind == imap.FetchRFC822 ||
				a.Kind == imap.FetchBodySection && len(a.Section.Part) == 0 && a.Section.Specifier == ""
			// The top-level header (BODY[HEADER], HEADER.FIELDS,
			// RFC822.HEADER) is the stored header block: no model.
			header := a.Kind == imap.FetchRFC822Header ||
				a.Kind == imap.FetchBodySection && len(a.Section.Part) == 0 && strings.HasPrefix(a.Section.Specifier, "HEADER")
			switch {
			case header:
				want |= store.WantHeader
			case !whole:
				want |= store.WantStructure | store.WantHeader
			}
			if !a.Peek && a.Kind != imap.FetchRFC822Header {
				setSeen = true
			}
		default:
			return respBad("", "Unsupported FETCH item")
		}
	}
	if uid && !hasUID && s.needsUID() {
		// RFC 9051 §6.4.9: UID FETCH always returns UID.
		atts = append([]imap.FetchAtt{{Kind: imap.FetchUID}}, atts...)
	}
	if hasChangedSince && !hasModSeq {
		// RFC 7162 §3.1.4.1: CHANGEDSINCE implies the MODSEQ item.
		atts = append(atts, imap.FetchAtt{Kind: imap.FetchModSeq})
		hasModSeq = true
	}
	if hasModSeq {
		s.enableCondstore()
	}
	seqs := s.resolve(args.Set, uid)
	sel := s.sel
	if want != 0 {
		// The metadata comes from the mailbox state in memory.
		want |= store.WantUIDOnly
	}
	if len(seqs) >= fetchBatchMin {
		defer s.enc.Batch(fetchBatch)()
	}
	for len(seqs) > 0 {
		n := min(len(seqs), fetchChunk)
		chunk := seqs[:n]
		seqs = seqs[n:]
		uids := make([]uint32, len(chunk))
		for i, q := range chunk {
			uids[i] = sel.uids[q-1]
		}
		var seen map[uint32]bool
		if setSeen && !sel.readOnly {
			changed, err := sel.mbox.StoreFlags(s.ctx, uids, store.FlagsAdd, []string{imap.FlagSeen})
			if err != nil {
				return storeError(err, "NONEXISTENT")
			}
			seen = make(map[uint32]bool, len(changed))
			for _, m := range changed {
				seen[m.UID] = true
			}
		}
		metas := sel.box.metas(uids)
		// uids, metas and the messages written are all in UID order, so
		// a cursor over uids finds each one's sequence number in chunk.
		j := 0
		write := func(m store.MessageMeta, md *store.MessageData) error {
			for j < len(uids) && uids[j] < m.UID {
				j++
			}
			if j == len(uids) || uids[j] != m.UID || (hasChangedSince && m.ModSeq <= changedSince) {
				return nil
			}
			return s.writeFetch(chunk[j], m, md, atts, seen[m.UID])
		}
		if want == 0 {
			for _, m := range metas {
				if err := write(m, nil); err != nil {
					return err
				}
			}
			continue
		}
		// Both lists are in UID order; a message missing from either
		// was expunged meanwhile and is left out (RFC 2180 §4.1.2).
		i := 0
		var werr error
		err := sel.mbox.Messages(s.ctx, uids, want, func(md *store.MessageData) error {
			for i < len(metas) && metas[i].UID < md.UID {
				i++
			}
			if i == len(metas) || metas[i].UID != md.UID {
				return nil
			}
			werr = write(metas[i], md)
			return werr
		})
		if werr != nil {
			return werr
		}
		if err != nil {
			return storeError(err, "NONEXISTENT")
		}
	}
	return nil
}

// readsMessage reports whether a needs the stored message's bytes, as
// opposed to what is kept in the database (top-level header block,
// forms, model).
func readsMessage(a imap.FetchAtt) bool {
	switch a.Kind {
	case imap.FetchRFC822, imap.FetchRFC822Text, imap.FetchBinarySection:
		return true
	case imap.FetchBodySection:
		return len(a.Section.Part) > 0 || !strings.HasPrefix(a.Section.Specifier, "HEADER")
	}
	return false
}

// fetchMessage is the per-message state of one FETCH response.
type fetchMessage struct {
	s      *session
	meta   store.MessageMeta
	data   *store.MessageData
	parsed *message.Message
	file   store.MessageReader
}

func (f *fetchMessage) open() (store.MessageReader, error) {
	if f.file == nil {
		r, err := f.s.sel.mbox.OpenMessage(f.s.ctx, f.meta.UID)
		if err != nil {
			return nil, err
		}
		f.file = r
	}
	return f.file, nil
}

func (s *session) writeFetch(seq uint32, m store.MessageMeta, md *store.MessageData, atts []imap.FetchAtt, flagsChanged bool) error {
	f := &fetchMessage{s: s, meta: m, data: md}
	defer func() {
		if f.file != nil {
			f.file.Close()
		}
	}()
	// ENVELOPE, BODY and BODYSTRUCTURE were formatted at delivery and
	// come from the store as they are (store.WantEnvelope,
	// WantBodyStructure); the model is decoded only for what needs it.
	if md != nil && md.Structure != nil {
		p, err := message.Unmarshal(md.Structure)
		if err != nil {
			return err
		}
		f.parsed = p
	}
	// Check what can fail before any byte of this response is written:
	// a message another session expunged after this one's view of the
	// mailbox is left out (RFC 2180 §4.1.2), not cut off mid-response.
	for _, a := range atts {
		if !readsMessage(a) {
			continue
		}
		if _, err := f.open(); errors.Is(err, fs.ErrNotExist) {
			return nil
		} else if err != nil {
			return err
		}
		break
	}
	for _, a := range atts {
		if a.Kind == imap.FetchBinarySection || a.Kind == imap.FetchBinarySize {
			if p, err := f.parsed.FindPart(a.Section.Part); err == nil && p.DecodedSize < 0 {
				return respNo("UNKNOWN-CTE", "Unknown Content-Transfer-Encoding "+p.Encoding)
			}
		}
	}
	e := s.enc
	s.fetchStart(seq, m.UID)
	wroteFlags, wroteModSeq := false, false
	for i, a := range atts {
		if i > 0 {
			e.SP()
		}
		switch a.Kind {
		case imap.FetchUID:
			e.Raw("UID ").Number(m.UID)
		case imap.FetchFlags:
			e.Raw("FLAGS ").Flags(s.flagsWithRecent(m.UID, f.currentFlags(flagsChanged)))
			wroteFlags = true
		case imap.FetchInternalDate:
			e.Raw("INTERNALDATE ").DateTime(m.InternalDate)
		case imap.FetchPreview:
			// RFC 8970 §3: computed at delivery and stored with the
			// model; "" when the message has no text to preview, never
			// NIL (so LAZY changes nothing).
			e.Raw("PREVIEW ").String(f.parsed.Preview)
		case imap.FetchEmailID:
			// RFC 8474 §5.3.
			e.Raw("EMAILID (").Raw(imap.EmailID(m.EmailID)).Raw(")")
		case imap.FetchThreadID:
			e.Raw("THREADID (").Raw(imap.ThreadID(m.ThreadID)).Raw(")")
		case imap.FetchSaveDate:
			// RFC 8514 §4.2.
			e.Raw("SAVEDATE ")
			if m.SaveDate.IsZero() {
				e.Raw("NIL")
			} else {
				e.DateTime(m.SaveDate)
			}
		case imap.FetchModSeq:
			e.Raw("MODSEQ (").Number64(f.currentModSeq(flagsChanged)).Raw(")")
			wroteModSeq = true
		case imap.FetchRFC822Size:
			e.Raw("RFC822.SIZE ").Int64(m.Size)
		case imap.FetchEnvelope:
			e.Raw("ENVELOPE ").RawBytes(md.Envelope)
		case imap.FetchBody:
			e.Raw("BODY ").RawBytes(md.Body)
		case imap.FetchBodyStructure:
			e.Raw("BODYSTRUCTURE ").RawBytes(md.BodyStructure)
		case imap.FetchBinarySize:
			e.Raw("BINARY.SIZE[").Raw(partString(a.Section.Part)).Raw("] ")
			if p, err := f.parsed.FindPart(a.Section.Part); err == nil {
				e.Raw(strconv.FormatInt(f.decodedSize(p), 10))
			} else {
				e.Raw("NIL")
			}
		case imap.FetchRFC822:
			e.Raw("RFC822 ")
			if err := f.writeSection(imap.Section{}, nil, false); err != nil {
				return err
			}
		case imap.FetchRFC822Header:
			e.Raw("RFC822.HEADER ")
			if err := f.writeSection(imap.Section{Specifier: "HEADER"}, nil, false); err != nil {
				return err
			}
		case imap.FetchRFC822Text:
			e.Raw("RFC822.TEXT ")
			if err := f.writeSection(imap.Section{Specifier: "TEXT"}, nil, false); err != nil {
				return err
			}
		case imap.FetchBodySection, imap.FetchBinarySection:
			binary := a.Kind == imap.FetchBinarySection
			if binary {
				e.Raw("BINARY[")
			} else {
				e.Raw("BODY[")
			}
			s.writeSectionName(a.Section)
			e.Raw("]")
			if a.Partial != nil {
				e.Raw("<").Number(a.Partial.Offset).Raw(">")
			}
			e.SP()
			if err := f.writeSection(a.Section, a.Partial, binary); err != nil {
				return err
			}
		}
	}
	if flagsChanged && !wroteFlags {
		// RFC 9051 §6.4.5: a FETCH that sets \Seen reports the new flags.
		e.Raw(" FLAGS ").Flags(s.flagsWithRecent(m.UID, f.currentFlags(true)))
	}
	if flagsChanged && s.qresync && s.needsUID() && !hasAtt(atts, imap.FetchUID) {
		// RFC 7162 §3.2.4 (erratum 1807): the implicit \Seen change is an
		// untagged FETCH that must carry UID under QRESYNC.
		e.Raw(" UID ").Number(m.UID)
	}
	if flagsChanged && s.condstore && !wroteModSeq {
		// RFC 7162 §3.1: a CONDSTORE-aware client learns every flag
		// change's MODSEQ.
		e.Raw(" MODSEQ (").Number64(f.currentModSeq(true)).Raw(")")
	}
	e.Raw(")").CRLF()
	return e.Err()
}

// currentFlags returns the message's flags, re-read from the shared
// state when this FETCH just changed them.
func (f *fetchMessage) currentFlags(changed bool) []string {
	if changed {
		if m, ok := f.s.sel.box.meta(f.meta.UID); ok {
			return m.Flags
		}
	}
	return f.meta.Flags
}

// currentModSeq is like currentFlags for the MODSEQ.
func (f *fetchMessage) currentModSeq(changed bool) uint64 {
	if changed {
		if m, ok := f.s.sel.box.meta(f.meta.UID); ok {
			return m.ModSeq
		}
	}
	return f.meta.ModSeq
}

func (f *fetchMessage) decodedSize(p *message.Part) int64 {
	if p == f.parsed.Root && len(p.Parts) > 0 || p.Message != nil {
		return p.BodyEnd - p.BodyOffset
	}
	return p.DecodedSize
}

func partString(part []int) string {
	var b strings.Builder
	for i, n := range part {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(strconv.Itoa(n))
	}
	return b.String()
}

func (s *session) writeSectionName(sec imap.Section) {
	e := s.enc
	e.Raw(partString(sec.Part))
	if sec.Specifier == "" {
		return
	}
	if len(sec.Part) > 0 {
		e.Raw(".")
	}
	e.Raw(sec.Specifier)
	if strings.HasPrefix(sec.Specifier, "HEADER.FIELDS") {
		e.Raw(" (")
		for i, name := range sec.Fields {
			if i > 0 {
				e.SP()
			}
			if isAtom(name) {
				e.Raw(name)
			} else {
				e.String(name)
			}
		}
		e.Raw(")")
	}
}

func isAtom(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`(){%*"\]`, c) >= 0 {
			return false
		}
	}
	return true
}

// errNoSection means the section names nothing in this message; the
// response carries NIL for it.
var errNoSection = errors.New("no such section")

// sectionRange finds the bytes of a section: either in memory (b) or a
// range of the message file.
func (f *fetchMessage) sectionRange(sec imap.Section) (b []byte, off, n int64, inMemory bool, err error) {
	if len(sec.Part) == 0 && sec.Specifier == "" {
		// The whole message: fetched without the model (see fetch).
		return nil, 0, f.meta.Size, false, nil
	}
	if len(sec.Part) == 0 {
		switch sec.Specifier {
		case "HEADER":
			return f.data.Header, 0, 0, true, nil
		case "HEADER.FIELDS", "HEADER.FIELDS.NOT":
			return message.HeaderFields(f.data.Header, sec.Fields, sec.Specifier == "HEADER.FIELDS.NOT"), 0, 0, true, nil
		case "TEXT":
			root := f.parsed.Root
			return nil, root.BodyOffset, root.BodyEnd - root.BodyOffset, false, nil
		}
		return nil, 0, 0, false, errNoSection
	}
	p, err := f.parsed.FindPart(sec.Part)
	if err != nil {
		return nil, 0, 0, false, errNoSection
	}
	switch sec.Specifier {
	case "":
		return nil, p.BodyOffset, p.BodyEnd - p.BodyOffset, false, nil
	case "MIME":
		return nil, p.HeaderOffset, p.BodyOffset - p.HeaderOffset, false, nil
	}
	// HEADER, HEADER.FIELDS[.NOT] and TEXT of an enclosed message/rfc822.
	inner := p.Message
	if inner == nil {
		return nil, 0, 0, false, errNoSection
	}
	switch sec.Specifier {
	case "HEADER":
		return nil, inner.HeaderOffset, inner.BodyOffset - inner.HeaderOffset, false, nil
	case "TEXT":
		return nil, inner.BodyOffset, inner.BodyEnd - inner.BodyOffset, false, nil
	case "HEADER.FIELDS", "HEADER.FIELDS.NOT":
		r, err := f.open()
		if err != nil {
			return nil, 0, 0, false, err
		}
		hdr := make([]byte, inner.BodyOffset-inner.HeaderOffset)
		if _, err := r.ReadAt(hdr, inner.HeaderOffset); err != nil && !errors.Is(err, io.EOF) {
			return nil, 0, 0, false, err
		}
		return message.HeaderFields(hdr, sec.Fields, sec.Specifier == "HEADER.FIELDS.NOT"), 0, 0, true, nil
	}
	return nil, 0, 0, false, errNoSection
}

// writeSection writes a section's data as a literal (or NIL), applying
// <partial> and, for BINARY, the Content-Transfer-Encoding decoding.
func (f *fetchMessage) writeSection(sec imap.Section, partial *imap.Partial, binary bool) error {
	e := f.s.enc
	b, off, n, inMemory, err := f.sectionRange(sec)
	if errors.Is(err, errNoSection) {
		e.Raw("NIL")
		return nil
	}
	if err != nil {
		return err
	}
	if binary {
		p, perr := f.parsed.FindPart(sec.Part)
		if perr == nil && len(p.Parts) == 0 && p.Message == nil {
			r, err := f.open()
			if err != nil {
				return err
			}
			dec, err := message.NewDecoder(p.Encoding, io.NewSectionReader(r, off, n))
			if err != nil {
				return respNo("UNKNOWN-CTE", "Unknown Content-Transfer-Encoding "+p.Encoding)
			}
			b, err = io.ReadAll(io.LimitReader(dec, f.s.srv.opts.Limits.MaxAppend*2+1))
			if err != nil {
				return err
			}
			inMemory = true
		}
	}
	if inMemory {
		if partial != nil {
			start := min(int64(partial.Offset), int64(len(b)))
			end := min(start+int64(partial.Count), int64(len(b)))
			b = b[start:end]
		}
		if binary && bytes.IndexByte(b, 0) >= 0 {
			e.Literal8(b)
		} else {
			e.Literal(b)
		}
		return nil
	}
	if partial != nil {
		start := min(int64(partial.Offset), n)
		end := min(start+int64(partial.Count), n)
		off, n = off+start, end-start
	}
	r, err := f.open()
	if err != nil {
		return err
	}
	e.LiteralFrom(n, io.NewSectionReader(r, off, n), false)
	return e.Err()
}
