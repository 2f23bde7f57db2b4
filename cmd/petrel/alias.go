package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"petrel.dev/petrel/internal/auth"
	"petrel.dev/petrel/internal/store"
)

// userAlias implements "petrel user alias add|del|list": addresses that
// LMTP and "petrel deliver" deliver to a user.
func userAlias(ctx context.Context, e env, args []string) error {
	if len(args) == 0 {
		return usagef("user alias needs a subcommand: add, del or list")
	}
	sub, rest := args[0], args[1:]
	usage := map[string]string{
		"add":  "petrel user alias add [--data DIR] [--config FILE] ADDRESS USER",
		"del":  "petrel user alias del [--data DIR] [--config FILE] ADDRESS",
		"list": "petrel user alias list [--data DIR] [--config FILE]",
	}[sub]
	if usage == "" {
		return usagef("unknown user alias subcommand %q", sub)
	}
	fs := newFlagSet(e, "user alias "+sub, usage)
	var df dataFlags
	df.register(fs)
	pos, err := parseFlags(fs, rest)
	if err != nil {
		return err
	}
	want := map[string]int{"add": 2, "del": 1, "list": 0}[sub]
	if len(pos) != want {
		return usagef("usage: %s", usage)
	}
	st, err := df.openStore(false)
	if err != nil {
		return err
	}
	defer st.Close()
	switch sub {
	case "add":
		address := strings.ToLower(pos[0])
		if address == "" || strings.ContainsAny(address, " \t\r\n<>") {
			return usagef("bad alias address %q", pos[0])
		}
		user, err := auth.NormalizeUser(pos[1])
		if err != nil {
			return usagef("bad user name %q: %v", pos[1], err)
		}
		if err := st.SetAlias(ctx, address, user); err != nil {
			return userErr(user, err)
		}
		fmt.Fprintf(e.stdout, "alias %s delivers to %s\n", address, user)
	case "del":
		address := strings.ToLower(pos[0])
		if err := st.DeleteAlias(ctx, address); err != nil {
			if errors.Is(err, store.ErrNoAlias) {
				return fmt.Errorf("no alias %s", address)
			}
			return err
		}
		fmt.Fprintf(e.stdout, "deleted alias %s\n", address)
	case "list":
		list, err := st.Aliases(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 8, 2, ' ', 0)
		for _, a := range list {
			fmt.Fprintf(tw, "%s\t%s\n", a.Address, a.User)
		}
		return tw.Flush()
	}
	return nil
}
