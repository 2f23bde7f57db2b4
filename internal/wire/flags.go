package wire

import (
	"petrel.dev/petrel/internal/imap"
)

// Flags and STORE.

// systemFlags maps upper-case system flag names to their canonical spelling
// (RFC 9051 §2.3.2; \Recent is rev1).
var systemFlags = map[string]string{
	`\SEEN`: imap.FlagSeen, `\ANSWERED`: imap.FlagAnswered, `\FLAGGED`: imap.FlagFlagged,
	`\DELETED`: imap.FlagDeleted, `\DRAFT`: imap.FlagDraft, `\RECENT`: imap.FlagRecent,
}

// flag reads one RFC 9051 flag: "\" atom (system flags canonicalised) or a
// keyword atom (flag-keyword).
func (d *Decoder) flag() (string, error) {
	ch, err := d.peek()
	if err != nil {
		return "", err
	}
	if ch == '\\' {
		if err := d.consume(); err != nil {
			return "", err
		}
		a, err := d.atom("flag name after backslash")
		if err != nil {
			return "", err
		}
		f := `\` + a
		if canon, ok := systemFlags[toUpper(f)]; ok {
			return canon, nil
		}
		return f, nil
	}
	return d.atom("flag")
}

// flagList reads "(" [flag *(SP flag)] ")"; with bare it also accepts
// flags without parentheses up to the end of the line (STORE's
// "flag *(SP flag)" form).
func (d *Decoder) flagList(bare bool) ([]string, error) {
	ch, err := d.peek()
	if err != nil {
		return nil, err
	}
	flags := []string{}
	if ch != '(' {
		if !bare {
			return nil, d.expect('(', "parenthesised flag list")
		}
		for {
			f, err := d.flag()
			if err != nil {
				return nil, err
			}
			flags = append(flags, f)
			if eol, err := d.atEOL(); err != nil || eol {
				return flags, err
			}
			if err := d.sp(); err != nil {
				return nil, err
			}
		}
	}
	if err := d.consume(); err != nil {
		return nil, err
	}
	for i := 0; ; i++ {
		ch, err := d.peek()
		if err != nil {
			return nil, err
		}
		if ch == ')' {
			return flags, d.consume()
		}
		if i > 0 {
			if err := d.sp(); err != nil {
				return nil, err
			}
		}
		f, err := d.flag()
		if err != nil {
			return nil, err
		}
		flags = append(flags, f)
	}
}

// modifiers reads RFC 4466 fetch-modifiers or store-modifiers:
// "(" name [SP value] *(SP ...) ")". known maps each accepted upper-case
// name to whether it takes a mod-sequence-valzer value (RFC 7162 §3.1.3,
// §3.1.4, §3.2.6).
func (d *Decoder) modifiers(what string, known map[string]bool) (map[string]uint64, error) {
	mods := map[string]uint64{}
	err := d.paramList(what, func(name string) error {
		hasValue, ok := known[name]
		if !ok {
			return bad("unknown %s %.40s", what, name)
		}
		if !hasValue {
			mods[name] = 0
			return nil
		}
		if err := d.sp(); err != nil {
			return err
		}
		n, err := d.number64(name+" value", maxNumber64)
		if err != nil {
			return err
		}
		mods[name] = n
		return nil
	})
	return mods, err
}

// parseStore: RFC 9051 §9 store = "STORE" SP sequence-set [store-modifiers]
// SP store-att-flags; store-att-flags = (["+" / "-"] "FLAGS" [".SILENT"])
// SP (flag-list / (flag *(SP flag))).
func parseStore(d *Decoder, c *imap.Command) error {
	if err := d.sp(); err != nil {
		return err
	}
	set, err := d.seqSet()
	if err != nil {
		return err
	}
	args := &imap.StoreArgs{Set: set}
	if err := d.sp(); err != nil {
		return err
	}
	if ch, err := d.peek(); err != nil {
		return err
	} else if ch == '(' {
		if args.Modifiers, err = d.modifiers("STORE modifier", map[string]bool{"UNCHANGEDSINCE": true}); err != nil {
			return err
		}
		if err := d.sp(); err != nil {
			return err
		}
	}
	item, err := d.atom("STORE data item")
	if err != nil {
		return err
	}
	switch toUpper(item) {
	case "FLAGS":
	case "FLAGS.SILENT":
		args.Silent = true
	case "+FLAGS":
		args.Mode = imap.StoreAdd
	case "+FLAGS.SILENT":
		args.Mode, args.Silent = imap.StoreAdd, true
	case "-FLAGS":
		args.Mode = imap.StoreRemove
	case "-FLAGS.SILENT":
		args.Mode, args.Silent = imap.StoreRemove, true
	default:
		return bad("unknown STORE data item %.40s (expected [+|-]FLAGS[.SILENT])", item)
	}
	if err := d.sp(); err != nil {
		return err
	}
	if args.Flags, err = d.flagList(true); err != nil {
		return err
	}
	c.Args = args
	return nil
}
