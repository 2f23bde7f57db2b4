package wire

import (
	"petrel.dev/petrel/internal/imap"
)

// Arguments of the QUOTA commands (RFC 9208 §4.1, §6).

// parseGetQuota: "GETQUOTA" SP quota-root-name, quota-root-name = astring.
func parseGetQuota(d *Decoder, c *imap.Command) error {
	if err := d.sp(); err != nil {
		return err
	}
	root, err := d.astring("quota root")
	if err != nil {
		return err
	}
	c.Args = &imap.QuotaArgs{Root: root}
	return nil
}

// parseSetQuota: "SETQUOTA" SP quota-root-name SP setquota-list,
// setquota-list = "(" [setquota-resource *(SP setquota-resource)] ")",
// setquota-resource = resource-name SP resource-limit.
func parseSetQuota(d *Decoder, c *imap.Command) error {
	if err := parseGetQuota(d, c); err != nil {
		return err
	}
	args := c.Args.(*imap.QuotaArgs)
	args.Limits = map[string]uint64{}
	if err := d.sp(); err != nil {
		return err
	}
	return d.paramList("quota resource", func(name string) error {
		if len(args.Limits) >= 32 {
			return bad("too many quota resources")
		}
		if err := d.sp(); err != nil {
			return err
		}
		limit, err := d.number64("resource limit", 1<<63-1)
		args.Limits[name] = limit
		return err
	})
}
