package wire

import (
	"petrel.dev/petrel/internal/imap"
)

// Arguments of the mailbox commands: SELECT, EXAMINE, CREATE, DELETE,
// RENAME, SUBSCRIBE, UNSUBSCRIBE, STATUS, COPY and MOVE.

// parseSelect: RFC 9051 §9 select = "SELECT" SP mailbox [select-params];
// RFC 4466 §2.1 select-params = SP "(" select-param *(SP select-param) ")",
// select-param = select-param-name [SP select-param-value]. Only the names
// are kept; values are checked for syntax and dropped.
func parseSelect(d *Decoder, c *imap.Command) error {
	if err := d.sp(); err != nil {
		return err
	}
	mbox, err := d.mailbox()
	if err != nil {
		return err
	}
	args := &imap.SelectArgs{Mailbox: mbox}
	c.Args = args
	if eol, err := d.atEOL(); err != nil || eol {
		return err
	}
	if err := d.sp(); err != nil {
		return err
	}
	return d.paramList("SELECT parameter", func(name string) error {
		args.Params = append(args.Params, name)
		if name == "QRESYNC" {
			q, err := d.qresyncParams()
			args.QResync = q
			return err
		}
		return d.optParamValue()
	})
}

// qresyncParams reads the value of the QRESYNC select parameter, RFC 7162
// §3.2.5 and §7: SP "(" uidvalidity SP mod-sequence-value [SP known-uids]
// [SP seq-match-data] ")", seq-match-data = "(" known-sequence-set SP
// known-uid-set ")".
func (d *Decoder) qresyncParams() (*imap.QResyncParams, error) {
	if err := d.sp(); err != nil {
		return nil, err
	}
	if err := d.expect('(', "QRESYNC parameters"); err != nil {
		return nil, err
	}
	q := &imap.QResyncParams{}
	var err error
	if q.UIDValidity, err = d.number("UIDVALIDITY"); err != nil {
		return nil, err
	}
	if q.UIDValidity == 0 {
		return nil, bad("UIDVALIDITY must be positive")
	}
	if err := d.sp(); err != nil {
		return nil, err
	}
	// mod-sequence-value is 1*DIGIT up to 2^63-1 (RFC 7162 §7).
	if q.ModSeq, err = d.number64("mod-sequence", 1<<63-1); err != nil {
		return nil, err
	}
	for {
		ch, err := d.peek()
		if err != nil {
			return nil, err
		}
		if ch == ')' {
			return q, d.consume()
		}
		if err := d.sp(); err != nil {
			return nil, err
		}
		if ch, err = d.peek(); err != nil {
			return nil, err
		}
		switch {
		case ch == '(' && !q.SeqMatch:
			if err := d.consume(); err != nil {
				return nil, err
			}
			if q.KnownSeqs, err = d.seqSet(); err != nil {
				return nil, err
			}
			if err := d.sp(); err != nil {
				return nil, err
			}
			if q.KnownSeqUIDs, err = d.seqSet(); err != nil {
				return nil, err
			}
			if err := d.expect(')', "end of seq-match-data"); err != nil {
				return nil, err
			}
			q.SeqMatch = true
		case ch != '(' && q.KnownUIDs == nil && !q.SeqMatch:
			set, err := d.seqSet()
			if err != nil {
				return nil, err
			}
			q.KnownUIDs = &set
		default:
			return nil, bad("malformed QRESYNC parameters")
		}
		// RFC 7162 §7: "*" is not allowed in known-uids or seq-match-data.
		for _, set := range []*imap.SeqSet{q.KnownUIDs, &q.KnownSeqs, &q.KnownSeqUIDs} {
			if set == nil {
				continue
			}
			if set.Saved {
				return nil, bad("$ is not allowed in QRESYNC parameters")
			}
			for _, r := range set.Ranges {
				if r.Start == 0 || r.Stop == 0 {
					return nil, bad("* is not allowed in QRESYNC parameters")
				}
			}
		}
	}
}

// paramList reads "(" [item *(SP item)] ")" where each item starts with an
// RFC 4466 tagged-ext-label, passed upper case to item, which reads the rest.
func (d *Decoder) paramList(what string, item func(name string) error) error {
	if err := d.expect('(', "parenthesised "+what+" list"); err != nil {
		return err
	}
	for i := 0; ; i++ {
		ch, err := d.peek()
		if err != nil {
			return err
		}
		if ch == ')' {
			return d.consume()
		}
		if i > 0 {
			if err := d.sp(); err != nil {
				return err
			}
		}
		name, err := d.atom(what)
		if err != nil {
			return err
		}
		if err := item(toUpper(name)); err != nil {
			return err
		}
	}
}

// optParamValue reads an optional RFC 4466 tagged-ext-val after a
// parameter name: it is present when SP is followed by a digit, "*", "$"
// or "(" (a tagged-ext-label starts with a letter or "-").
func (d *Decoder) optParamValue() error {
	if ch, err := d.peek(); err != nil || ch != ' ' {
		return err
	}
	b, err := d.r.Peek(2)
	if err != nil {
		return d.ioErr(err)
	}
	if !isSeqChar(b[1]) && b[1] != '(' {
		return nil
	}
	if err := d.sp(); err != nil {
		return err
	}
	return d.skipExtValue(0)
}

// skipExtValue reads one RFC 4466 tagged-ext-val: a sequence-set, number
// or astring, or a parenthesised list of them, nested up to MaxDepth.
func (d *Decoder) skipExtValue(depth int) error {
	if depth >= d.lim.MaxDepth {
		return bad("parentheses nested too deeply (limit %d)", d.lim.MaxDepth)
	}
	ch, err := d.peek()
	if err != nil {
		return err
	}
	if ch != '(' {
		if isSeqChar(ch) {
			_, err := d.token(func(c byte) bool { return isSeqChar(c) || isAstringChar(c) }, "parameter value")
			return err
		}
		_, err := d.astring("parameter value")
		return err
	}
	if err := d.consume(); err != nil {
		return err
	}
	for i := 0; ; i++ {
		ch, err := d.peek()
		if err != nil {
			return err
		}
		if ch == ')' {
			return d.consume()
		}
		if i > 0 {
			if err := d.sp(); err != nil {
				return err
			}
		}
		if err := d.skipExtValue(depth + 1); err != nil {
			return err
		}
	}
}

// consume reads the byte just peeked.
func (d *Decoder) consume() error {
	_, err := d.next()
	return err
}

// parseMailboxOnly: DELETE, SUBSCRIBE, UNSUBSCRIBE: SP mailbox.
func parseMailboxOnly(d *Decoder, c *imap.Command) error {
	if err := d.sp(); err != nil {
		return err
	}
	mbox, err := d.mailbox()
	if err != nil {
		return err
	}
	c.Args = &imap.MailboxArgs{Mailbox: mbox}
	return nil
}

// useAttrs are the RFC 6154 §2 special-use attributes, canonical spelling
// by upper-case name.
var useAttrs = map[string]string{
	`\ALL`: `\All`, `\ARCHIVE`: `\Archive`, `\DRAFTS`: `\Drafts`, `\FLAGGED`: `\Flagged`,
	`\JUNK`: `\Junk`, `\SENT`: `\Sent`, `\TRASH`: `\Trash`, `\IMPORTANT`: `\Important`,
}

// parseCreate: RFC 9051 §9 create = "CREATE" SP mailbox, with RFC 4466
// create-params and RFC 6154 §6: create-param =/ "USE" SP "(" [use-attr
// *(SP use-attr)] ")". Other create parameters are rejected.
func parseCreate(d *Decoder, c *imap.Command) error {
	if err := parseMailboxOnly(d, c); err != nil {
		return err
	}
	args := c.Args.(*imap.MailboxArgs)
	if eol, err := d.atEOL(); err != nil || eol {
		return err
	}
	if err := d.sp(); err != nil {
		return err
	}
	return d.paramList("CREATE parameter", func(name string) error {
		if name != "USE" {
			return bad("unknown CREATE parameter %.40s", name)
		}
		if err := d.sp(); err != nil {
			return err
		}
		flags, err := d.flagList(false)
		if err != nil {
			return err
		}
		for _, f := range flags {
			if canon, ok := useAttrs[toUpper(f)]; ok {
				f = canon
			} else if f[0] != '\\' {
				return bad("special-use attribute %.40s must start with a backslash", f)
			}
			args.SpecialUse = append(args.SpecialUse, f)
		}
		return nil
	})
}

// parseRename: RFC 9051 §9 rename = "RENAME" SP mailbox SP mailbox.
func parseRename(d *Decoder, c *imap.Command) error {
	if err := d.sp(); err != nil {
		return err
	}
	from, err := d.mailbox()
	if err != nil {
		return err
	}
	if err := d.sp(); err != nil {
		return err
	}
	to, err := d.mailbox()
	if err != nil {
		return err
	}
	c.Args = &imap.RenameArgs{From: from, To: to}
	return nil
}

// statusItems are the STATUS data items the parser accepts (RFC 9051
// §6.3.11, RFC 7162, RFC 7889, RFC 8438, RFC 8474; RECENT is rev1).
var statusItems = map[string]bool{
	"MESSAGES": true, "UIDNEXT": true, "UIDVALIDITY": true, "UNSEEN": true,
	"DELETED": true, "SIZE": true, "RECENT": true, "HIGHESTMODSEQ": true, "DELETED-STORAGE": true,
	"APPENDLIMIT": true, "MAILBOXID": true,
}

// statusAtts reads "(" status-att *(SP status-att) ")".
func (d *Decoder) statusAtts() ([]imap.StatusItem, error) {
	var items []imap.StatusItem
	err := d.paramList("STATUS item", func(name string) error {
		if !statusItems[name] {
			return bad("unknown STATUS item %.40s", name)
		}
		items = append(items, imap.StatusItem(name))
		return nil
	})
	if err == nil && len(items) == 0 {
		return nil, bad("empty STATUS item list")
	}
	return items, err
}

// parseStatus: RFC 9051 §9 status = "STATUS" SP mailbox SP "(" status-att
// *(SP status-att) ")".
func parseStatus(d *Decoder, c *imap.Command) error {
	if err := d.sp(); err != nil {
		return err
	}
	mbox, err := d.mailbox()
	if err != nil {
		return err
	}
	if err := d.sp(); err != nil {
		return err
	}
	items, err := d.statusAtts()
	if err != nil {
		return err
	}
	c.Args = &imap.StatusArgs{Mailbox: mbox, Items: items}
	return nil
}

// parseCopy: COPY and MOVE (RFC 9051 §6.4.7, §6.4.8): SP sequence-set SP
// mailbox.
func parseCopy(d *Decoder, c *imap.Command) error {
	if err := d.sp(); err != nil {
		return err
	}
	set, err := d.seqSet()
	if err != nil {
		return err
	}
	if err := d.sp(); err != nil {
		return err
	}
	mbox, err := d.mailbox()
	if err != nil {
		return err
	}
	c.Args = &imap.CopyArgs{Set: set, Mailbox: mbox}
	return nil
}

// parseUIDExpunge: RFC 4315 uid-expunge = "UID" SP "EXPUNGE" SP sequence-set.
func parseUIDExpunge(d *Decoder, c *imap.Command) error {
	if err := d.sp(); err != nil {
		return err
	}
	set, err := d.seqSet()
	if err != nil {
		return err
	}
	c.Args = &imap.ExpungeArgs{Set: set}
	return nil
}
