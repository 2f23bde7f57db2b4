package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"

	"petrel.dev/petrel/internal/config"
	"petrel.dev/petrel/internal/store"
)

// storeQuota converts the configuration's default quota.
func storeQuota(q config.Quota) store.Quota {
	return store.Quota{Storage: int64(q.Storage), Messages: q.Messages}
}

// userQuota implements
// "petrel user quota [--data DIR] NAME [--storage SIZE] [--messages N] [--default]":
// it sets a user's own quota (RFC 9208), or with --default returns the
// user to the configuration's default, and prints the result.
func userQuota(ctx context.Context, e env, args []string) error {
	var storage *string
	var messages *int64
	var reset *bool
	name, st, err := userCommand(e, "user quota", "petrel user quota [--data DIR] [--config FILE] NAME [--storage SIZE] [--messages N] [--default]", false,
		func(fs *flag.FlagSet) {
			storage = fs.String("storage", "", "storage limit such as 500M, 2G or 20K (0: none)")
			messages = fs.Int64("messages", -1, "message limit (0: none)")
			reset = fs.Bool("default", false, "use the configuration's default quota")
		}, args)
	if err != nil {
		return err
	}
	defer st.Close()
	u, err := st.User(ctx, name)
	if err != nil {
		return userErr(name, err)
	}
	switch {
	case *reset:
		if *storage != "" || *messages >= 0 {
			return usagef("--default takes no limits")
		}
		err = st.SetQuota(ctx, name, nil)
	case *storage != "" || *messages >= 0:
		var q store.Quota
		if u.Quota != nil {
			q = *u.Quota
		}
		if *storage != "" {
			size, err := config.ParseSize(*storage)
			if err != nil || size < 0 {
				return usagef("--storage: bad size %q", *storage)
			}
			q.Storage = int64(size)
		}
		if *messages >= 0 {
			q.Messages = *messages
		}
		err = st.SetQuota(ctx, name, &q)
	}
	if err != nil {
		return userErr(name, err)
	}
	s, m, err := usageColumns(ctx, st, name)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s storage %s messages %s\n", name, s, m)
	return nil
}

// usageColumns formats a user's usage against the quota, "used/limit"
// with "unlimited" for no limit.
func usageColumns(ctx context.Context, st store.Store, name string) (storage, messages string, err error) {
	a, err := st.OpenAccount(ctx, name)
	if err != nil {
		return "", "", userErr(name, err)
	}
	defer a.Close()
	q, u, err := a.Quota(ctx)
	if err != nil {
		return "", "", userErr(name, err)
	}
	limit := func(n int64, f func(int64) string) string {
		if n == 0 {
			return "unlimited"
		}
		return f(n)
	}
	bytes := func(n int64) string { return config.Size(n).String() }
	count := func(n int64) string { return strconv.FormatInt(n, 10) }
	return bytes(u.Storage) + "/" + limit(q.Storage, bytes), count(u.Messages) + "/" + limit(q.Messages, count), nil
}
