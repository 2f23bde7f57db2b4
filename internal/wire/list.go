package wire

import (
	"petrel.dev/petrel/internal/imap"
)

// LIST and LSUB.
//
// RFC 9051 §9 (with RFC 5258 §6, RFC 5819 and RFC 6154):
//
//	list = "LIST" [SP list-select-opts] SP mailbox SP mbox-or-pat
//	       [SP list-return-opts]
//	mbox-or-pat = list-mailbox / patterns
//	patterns = "(" list-mailbox *(SP list-mailbox) ")"
//	list-return-opts = "RETURN" SP "(" [return-option *(SP return-option)] ")"
//
// Unknown selection options are rejected (RFC 5258 §3.1: the server MUST
// return BAD); so are unknown return options, which the server would not
// know how to honour.

// listPattern reads one list-mailbox (1*list-char / string), decoded like a
// mailbox name; "%" and "*" are kept.
func (d *Decoder) listPattern() (string, error) {
	return d.mailboxText(isListChar, "mailbox pattern")
}

func parseList(d *Decoder, c *imap.Command) error {
	args := &imap.ListArgs{}
	if err := d.sp(); err != nil {
		return err
	}
	if ch, err := d.peek(); err != nil {
		return err
	} else if ch == '(' {
		args.Extended = true
		if err := d.listSelectOpts(&args.Select); err != nil {
			return err
		}
		if err := d.sp(); err != nil {
			return err
		}
	}
	ref, err := d.mailbox()
	if err != nil {
		return err
	}
	args.Reference = ref
	if err := d.sp(); err != nil {
		return err
	}
	ch, err := d.peek()
	if err != nil {
		return err
	}
	if ch == '(' {
		args.Extended = true
		if err := d.consume(); err != nil {
			return err
		}
		for {
			p, err := d.listPattern()
			if err != nil {
				return err
			}
			args.Patterns = append(args.Patterns, p)
			if ch, err := d.peek(); err != nil {
				return err
			} else if ch == ')' {
				if err := d.consume(); err != nil {
					return err
				}
				break
			}
			if err := d.sp(); err != nil {
				return err
			}
		}
	} else {
		p, err := d.listPattern()
		if err != nil {
			return err
		}
		args.Patterns = []string{p}
	}
	c.Args = args
	if eol, err := d.atEOL(); err != nil || eol {
		return err
	}
	if err := d.sp(); err != nil {
		return err
	}
	kw, err := d.atom("RETURN")
	if err != nil {
		return err
	}
	if !eqFold(kw, "RETURN") {
		return bad("unexpected %.40s after LIST pattern (expected RETURN)", kw)
	}
	args.Extended = true
	if err := d.sp(); err != nil {
		return err
	}
	return d.paramList("LIST return option", func(name string) error {
		switch name {
		case "SUBSCRIBED":
			args.Return.Subscribed = true
		case "CHILDREN":
			args.Return.Children = true
		case "SPECIAL-USE":
			args.Return.SpecialUse = true
		case "STATUS":
			if err := d.sp(); err != nil {
				return err
			}
			items, err := d.statusAtts()
			if err != nil {
				return err
			}
			args.Return.Status = items
		default:
			return bad("unknown LIST return option %.40s", name)
		}
		return nil
	})
}

// listSelectOpts reads RFC 5258 list-select-opts.
func (d *Decoder) listSelectOpts(s *imap.ListSelect) error {
	err := d.paramList("LIST selection option", func(name string) error {
		switch name {
		case "SUBSCRIBED":
			s.Subscribed = true
		case "REMOTE":
			s.Remote = true
		case "RECURSIVEMATCH":
			s.RecursiveMatch = true
		case "SPECIAL-USE":
			s.SpecialUse = true
		default:
			return bad("unknown LIST selection option %.40s", name)
		}
		return nil
	})
	if err != nil {
		return err
	}
	// RFC 5258 §3.1: RECURSIVEMATCH alone (or only with REMOTE) is BAD.
	if s.RecursiveMatch && !s.Subscribed && !s.SpecialUse {
		return bad("RECURSIVEMATCH needs another selection option such as SUBSCRIBED (RFC 5258 §3.1)")
	}
	return nil
}

// parseLsub: RFC 3501 §9 lsub = "LSUB" SP mailbox SP list-mailbox.
func parseLsub(d *Decoder, c *imap.Command) error {
	if err := d.sp(); err != nil {
		return err
	}
	ref, err := d.mailbox()
	if err != nil {
		return err
	}
	if err := d.sp(); err != nil {
		return err
	}
	p, err := d.listPattern()
	if err != nil {
		return err
	}
	c.Args = &imap.ListArgs{Reference: ref, Patterns: []string{p}}
	return nil
}
