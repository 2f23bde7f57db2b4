package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"petrel.dev/petrel/internal/auth"
	"petrel.dev/petrel/internal/config"
	"petrel.dev/petrel/internal/store"
	"petrel.dev/petrel/internal/store/sqlitestore"
)

func cmdUser(ctx context.Context, e env, args []string) error {
	if len(args) == 0 {
		return usagef("user needs a subcommand: add, passwd, del or list")
	}
	switch sub, rest := args[0], args[1:]; sub {
	case "add":
		return userAdd(ctx, e, rest)
	case "passwd":
		return userPasswd(ctx, e, rest)
	case "del":
		return userDel(ctx, e, rest)
	case "list":
		return userList(ctx, e, rest)
	case "quota":
		return userQuota(ctx, e, rest)
	case "alias":
		return userAlias(ctx, e, rest)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(e.stdout, usageText)
		return nil
	default:
		return usagef("unknown user subcommand %q", sub)
	}
}

// dataFlags are the flags every user subcommand has.
type dataFlags struct {
	data, config string
}

func (d *dataFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&d.data, "data", "", "data `directory` (default: the configuration's data_dir, else "+config.Default().DataDir+")")
	fs.StringVar(&d.config, "config", "", "configuration `file` to read data_dir from")
}

// dir returns the data directory the flags name.
func (d *dataFlags) dir() (string, error) {
	if d.data != "" {
		return d.data, nil
	}
	if d.config != "" {
		c, err := config.Load(d.config)
		if err != nil {
			return "", err
		}
		return c.DataDir, nil
	}
	return config.Default().DataDir, nil
}

// openStore opens the data directory; unless create is set, it must
// already exist, so that a mistyped --data does not make an empty one.
func (d *dataFlags) openStore(create bool) (store.Store, error) {
	dir, err := d.dir()
	if err != nil {
		return nil, err
	}
	if !create {
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("data directory: %w", err)
		}
	}
	cfg := config.Default()
	if d.config != "" {
		if cfg, err = config.Load(d.config); err != nil {
			return nil, err
		}
	}
	return sqlitestore.Open(dir, store.Options{NoMaintenance: true, DefaultQuota: storeQuota(cfg.Quota)})
}

// parseUserArgs parses a subcommand's flags and its single NAME argument,
// returned normalised.
func parseUserArgs(fs *flag.FlagSet, args []string) (string, error) {
	pos, err := parseFlags(fs, args)
	if err != nil {
		return "", err
	}
	if len(pos) != 1 {
		return "", usagef("%s needs exactly one user NAME", fs.Name())
	}
	name, err := auth.NormalizeUser(pos[0])
	if err != nil {
		return "", fmt.Errorf("invalid user name %q: %w", pos[0], err)
	}
	return name, nil
}

// newPassword reads a password from stdin (fromStdin) or generates one
// and prints it. It returns the password's hash, with the SCRAM
// credentials derived from it.
func newPassword(e env, name string, fromStdin bool) (string, error) {
	var pw string
	if fromStdin {
		p, err := readPassword(e.stdin)
		if err != nil {
			return "", err
		}
		pw = p
	} else {
		pw = generatePassword()
	}
	// The hash carries the SCRAM-SHA-256 credentials derived from the
	// password, unless SASLprep (RFC 4013) refuses it.
	hash, err := auth.HashPassword(pw)
	if err != nil {
		return "", err
	}
	if !auth.HasSCRAM(hash) {
		fmt.Fprintf(e.stderr, "petrel: warning: the password of %s is not allowed by SASLprep (RFC 4013); "+
			"SCRAM logins will fail, PLAIN and LOGIN work\n", name)
	}
	if !fromStdin {
		fmt.Fprintf(e.stdout, "password for %s: %s\n", name, pw)
	}
	return hash, nil
}

// userCommand parses a user subcommand's flags (register adds its own)
// and its NAME, and opens the data directory (creating it only for
// create). The caller closes the store.
func userCommand(e env, cmd, usage string, create bool, register func(*flag.FlagSet), args []string) (string, store.Store, error) {
	fs := newFlagSet(e, cmd, usage)
	var df dataFlags
	df.register(fs)
	if register != nil {
		register(fs)
	}
	name, err := parseUserArgs(fs, args)
	if err != nil {
		return "", nil, err
	}
	st, err := df.openStore(create)
	if err != nil {
		return "", nil, err
	}
	return name, st, nil
}

func userAdd(ctx context.Context, e env, args []string) error {
	var fromStdin bool
	name, st, err := userCommand(e, "user add", "petrel user add [--data DIR] [--config FILE] NAME [--password-stdin]", true,
		passwordStdinFlag(&fromStdin), args)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.User(ctx, name); err == nil {
		return fmt.Errorf("user %s already exists", name)
	}
	hash, err := newPassword(e, name, fromStdin)
	if err != nil {
		return err
	}
	if err := st.CreateUser(ctx, name, hash); err != nil {
		if errors.Is(err, store.ErrUserExists) {
			return fmt.Errorf("user %s already exists", name)
		}
		return fmt.Errorf("create user %s: %w", name, err)
	}
	fmt.Fprintf(e.stdout, "created user %s\n", name)
	return nil
}

func userPasswd(ctx context.Context, e env, args []string) error {
	var fromStdin bool
	name, st, err := userCommand(e, "user passwd", "petrel user passwd [--data DIR] [--config FILE] NAME [--password-stdin]", false,
		passwordStdinFlag(&fromStdin), args)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.User(ctx, name); err != nil {
		return userErr(name, err)
	}
	hash, err := newPassword(e, name, fromStdin)
	if err != nil {
		return err
	}
	if err := st.SetPasswordHash(ctx, name, hash); err != nil {
		return userErr(name, err)
	}
	fmt.Fprintf(e.stdout, "changed password of %s\n", name)
	return nil
}

func userDel(ctx context.Context, e env, args []string) error {
	var purge bool
	name, st, err := userCommand(e, "user del", "petrel user del [--data DIR] [--config FILE] NAME [--purge]", false,
		func(fs *flag.FlagSet) { fs.BoolVar(&purge, "purge", false, "also delete the user's mail") }, args)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.DeleteUser(ctx, name, purge); err != nil {
		return userErr(name, err)
	}
	fmt.Fprintf(e.stdout, "deleted user %s\n", name)
	return nil
}

func userList(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "user list", "petrel user list [--data DIR] [--config FILE]")
	var df dataFlags
	df.register(fs)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("user list takes no arguments")
	}
	st, err := df.openStore(false)
	if err != nil {
		return err
	}
	defer st.Close()
	users, err := st.Users(ctx)
	if err != nil {
		return fmt.Errorf("list users: %w", err)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 8, 2, ' ', 0)
	if len(users) > 0 {
		fmt.Fprintf(tw, "NAME\tCREATED\tSTORAGE\tMESSAGES\n")
	}
	for _, u := range users {
		storage, messages, err := usageColumns(ctx, st, u.Name)
		if err != nil {
			return err
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.Name, u.Created.UTC().Format(time.DateTime), storage, messages)
	}
	return tw.Flush()
}

// passwordStdinFlag registers --password-stdin.
func passwordStdinFlag(v *bool) func(*flag.FlagSet) {
	return func(fs *flag.FlagSet) {
		fs.BoolVar(v, "password-stdin", false, "read the password from the first line of standard input instead of generating one")
	}
}

// userErr turns store.ErrNoUser into a short message.
func userErr(name string, err error) error {
	if errors.Is(err, store.ErrNoUser) {
		return fmt.Errorf("no user %s", name)
	}
	return fmt.Errorf("user %s: %w", name, err)
}
