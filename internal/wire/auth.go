package wire

import (
	"encoding/base64"
	"strconv"

	"petrel.dev/petrel/internal/imap"
)

// Arguments of the connection-level commands: AUTHENTICATE, LOGIN, ENABLE
// and ID.

// parseAuthenticate: RFC 9051 §9 authenticate = "AUTHENTICATE" SP
// auth-type [SP initial-resp]; RFC 4959: initial-resp = (base64 / "=").
func parseAuthenticate(d *Decoder, c *imap.Command) error {
	if err := d.sp(); err != nil {
		return err
	}
	mech, err := d.atom("SASL mechanism name")
	if err != nil {
		return err
	}
	args := &imap.AuthenticateArgs{Mechanism: toUpper(mech)}
	c.Args = args
	if eol, err := d.atEOL(); err != nil || eol {
		return err
	}
	if err := d.sp(); err != nil {
		return err
	}
	ir, err := d.atom("initial response")
	if err != nil {
		return err
	}
	args.HasIR = true
	if ir == "=" {
		args.InitialResponse = []byte{}
		return nil
	}
	b, err := base64.StdEncoding.DecodeString(ir)
	if err != nil {
		return bad("initial response is not valid base64")
	}
	args.InitialResponse = b
	return nil
}

// parseLogin: RFC 9051 §9 login = "LOGIN" SP userid SP password.
func parseLogin(d *Decoder, c *imap.Command) error {
	if err := d.sp(); err != nil {
		return err
	}
	user, err := d.astring("user name")
	if err != nil {
		return err
	}
	if err := d.sp(); err != nil {
		return err
	}
	pass, err := d.astring("password")
	if err != nil {
		return err
	}
	c.Args = &imap.LoginArgs{User: user, Password: pass}
	return nil
}

// parseEnable: RFC 9051 §9 enable = "ENABLE" 1*(SP capability).
func parseEnable(d *Decoder, c *imap.Command) error {
	args := &imap.EnableArgs{}
	for {
		if err := d.sp(); err != nil {
			return err
		}
		cp, err := d.atom("capability name")
		if err != nil {
			return err
		}
		args.Caps = append(args.Caps, toUpper(cp))
		if eol, err := d.atEOL(); err != nil || eol {
			c.Args = args
			return err
		}
	}
}

// RFC 2971 §3.3 limits of the ID command.
const (
	maxIDPairs    = 30
	maxIDField    = 30
	maxIDValueLen = 1024
)

// parseID: RFC 2971 §4 id = "ID" SP id_params_list;
// id_params_list = "(" #(string SP nstring) ")" / nil.
func parseID(d *Decoder, c *imap.Command) error {
	if err := d.sp(); err != nil {
		return err
	}
	ch, err := d.peek()
	if err != nil {
		return err
	}
	args := &imap.IDArgs{}
	c.Args = args
	if ch != '(' {
		a, err := d.atom("ID parameter list or NIL")
		if err != nil {
			return err
		}
		if !eqFold(a, "NIL") {
			return bad("ID takes a parenthesised list or NIL")
		}
		return nil
	}
	if err := d.consume(); err != nil {
		return err
	}
	args.Params = map[string]*string{}
	for i := 0; ; i++ {
		if ch, err := d.peek(); err != nil {
			return err
		} else if ch == ')' {
			return d.consume()
		}
		if i > 0 {
			if err := d.sp(); err != nil {
				return err
			}
		}
		if i >= maxIDPairs {
			return bad("ID takes at most %d field/value pairs (RFC 2971 §3.3)", maxIDPairs)
		}
		field, err := d.str("ID field name")
		if err != nil {
			return err
		}
		if len(field) > maxIDField {
			return bad("ID field name longer than %d bytes (RFC 2971 §3.3)", maxIDField)
		}
		if err := d.sp(); err != nil {
			return err
		}
		val, err := d.nstring("ID value")
		if err != nil {
			return err
		}
		if val != nil && len(*val) > maxIDValueLen {
			return bad("ID value longer than %d bytes (RFC 2971 §3.3)", maxIDValueLen)
		}
		args.Params[field] = val
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }
