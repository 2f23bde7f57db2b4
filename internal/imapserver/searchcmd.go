package imapserver

import (
	"context"
	"errors"
	"strconv"

	"petrel.dev/petrel/internal/imap"
	"petrel.dev/petrel/internal/search"
	"petrel.dev/petrel/internal/store"
)

// cmdSearch implements SEARCH and UID SEARCH (RFC 9051 §6.4.4, §6.4.9)
// with ESEARCH result options (RFC 4731) and SEARCHRES (RFC 5182).
// IMAP4rev1 clients get the untagged SEARCH response unless they ask for
// RETURN; IMAP4rev2 clients always get ESEARCH (RFC 9051 §7.3.4).
func (s *session) cmdSearch(cmd *imap.Command) error {
	args := cmd.Args.(*imap.SearchArgs)
	switch args.Charset {
	case "", "UTF-8", "US-ASCII":
	default:
		return respNo("BADCHARSET (UTF-8 US-ASCII)", "Unsupported charset "+args.Charset)
	}
	sel := s.sel
	withModSeq := usesModSeq(args.Key)
	if withModSeq {
		s.enableCondstore() // RFC 7162 §3.1.5
	}
	env := &search.Env{
		Msgs:  s.searchView(),
		Saved: s.saved,
		Headers: func(ctx context.Context, uids []uint32, fn func(uid uint32, header []byte) error) error {
			return sel.mbox.Messages(ctx, uids, store.WantHeader, func(md *store.MessageData) error {
				return fn(md.UID, md.Header)
			})
		},
		// Header keys are narrowed by the store's header text (and its
		// trigram index) before any header block is read and parsed.
		HeaderText: sel.mbox.SearchHeaderText,
		Text:       sel.mbox.SearchText,
	}
	seqs, err := search.Eval(s.ctx, env, args.Key)
	if err != nil {
		if errors.Is(err, search.ErrUnsupportedKey) {
			return respBad("", "Unsupported search key")
		}
		if args.Return.Save {
			s.saved = nil
		}
		return err
	}
	nums := seqs
	if cmd.UID {
		nums = make([]uint32, len(seqs))
		for i, q := range seqs {
			nums[i] = sel.uids[q-1]
		}
	}
	// RFC 7162 §3.1.6: a search with MODSEQ reports the highest
	// mod-sequence of the matching messages.
	var highest uint64
	if withModSeq {
		for _, q := range seqs {
			highest = max(highest, env.Msgs[q-1].ModSeq)
		}
	}
	ret := args.Return
	if ret.Save {
		s.saved = savedResult(ret, seqs, sel.uids)
	}
	if !ret.Present && !s.rev2 {
		s.enc.Raw("* SEARCH")
		for _, n := range nums {
			s.enc.SP().Number(n)
		}
		if highest > 0 {
			s.enc.Raw(" (MODSEQ ").Number64(highest).Raw(")")
		}
		s.enc.CRLF()
		return nil
	}
	if !ret.Present {
		ret.All = true
	}
	if ret.Save && !ret.Min && !ret.Max && !ret.All && !ret.Count {
		return nil // RFC 5182 §2.4: SAVE alone returns no ESEARCH
	}
	s.enc.Raw("* ESEARCH (TAG ").String(cmd.Tag).Raw(")")
	if cmd.UID {
		s.enc.Raw(" UID")
	}
	if len(nums) > 0 {
		if ret.Min {
			s.enc.Raw(" MIN ").Number(nums[0])
		}
		if ret.Max {
			s.enc.Raw(" MAX ").Number(nums[len(nums)-1])
		}
		if ret.All {
			s.enc.Raw(" ALL ").Raw(imap.SeqSetFromNums(nums).String())
		}
	}
	if ret.Count {
		s.enc.Raw(" COUNT ").Raw(strconv.Itoa(len(nums)))
	}
	if highest > 0 {
		s.enc.Raw(" MODSEQ ").Number64(highest) // RFC 7162 §3.1.10
	}
	s.enc.CRLF()
	return nil
}

// savedResult is what SAVE keeps (RFC 5182 §2.4): with MIN and/or MAX
// but neither ALL nor COUNT, only those messages; otherwise all. It is
// kept as UIDs so that later expunges cannot shift it.
func savedResult(ret imap.SearchReturn, seqs []uint32, uids []uint32) []uint32 {
	if len(seqs) == 0 {
		return []uint32{}
	}
	if (ret.Min || ret.Max) && !ret.All && !ret.Count {
		var out []uint32
		if ret.Min {
			out = append(out, uids[seqs[0]-1])
		}
		if ret.Max && (!ret.Min || len(seqs) > 1) {
			out = append(out, uids[seqs[len(seqs)-1]-1])
		}
		return out
	}
	out := make([]uint32, len(seqs))
	for i, q := range seqs {
		out[i] = uids[q-1]
	}
	return out
}

// searchView builds what search evaluation needs of the session's view.
// Messages another session expunged but this one still shows keep their
// UID with no flags, so they match nothing flag-based.
func (s *session) searchView() []search.Msg {
	sel := s.sel
	msgs := make([]search.Msg, len(sel.uids))
	b := sel.box
	b.mu.Lock()
	j := 0
	for i, u := range sel.uids {
		msgs[i].UID = u
		for j < len(b.msgs) && b.msgs[j].UID < u {
			j++
		}
		if j < len(b.msgs) && b.msgs[j].UID == u {
			m := &b.msgs[j]
			msgs[i].Flags = m.Flags
			msgs[i].InternalDate = m.InternalDate
			msgs[i].Size = m.Size
			msgs[i].ModSeq = m.ModSeq
			msgs[i].SaveDate = m.SaveDate
			msgs[i].EmailID = m.EmailID
			msgs[i].ThreadID = m.ThreadID
		}
		msgs[i].Recent = sel.recent[u]
	}
	b.mu.Unlock()
	return msgs
}

// usesModSeq reports whether a search program has a MODSEQ key.
func usesModSeq(k imap.SearchKey) bool {
	if k.Op == imap.SearchModSeq {
		return true
	}
	for _, sub := range k.Sub {
		if usesModSeq(sub) {
			return true
		}
	}
	return false
}
