package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"petrel.dev/petrel/internal/auth"
	"petrel.dev/petrel/internal/store"
	"petrel.dev/petrel/internal/store/sqlitestore"
)

// checkPassword reports whether the stored hash of user matches pw.
func checkPassword(t *testing.T, dir, user, pw string) bool {
	t.Helper()
	st, err := sqlitestore.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, err := st.User(context.Background(), user)
	if err != nil {
		t.Fatal(err)
	}
	ok, err := auth.VerifyPassword(u.PasswordHash, pw)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func TestUserCommands(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")

	// Commands other than add refuse a missing data directory.
	r := runArgs(t, "", "user", "list", "--data", dir).want(t, exitError)
	if strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, "petrel: ") {
		t.Errorf("error is not one line: %q", r.stderr)
	}

	// add with a generated password, the name normalised, a flag after NAME.
	r = runArgs(t, "", "user", "add", "Alice", "--data", dir).want(t, exitOK)
	m := generatedRE.FindStringSubmatch(r.stdout)
	if m == nil || m[1] != "alice" {
		t.Fatalf("no generated password in %q", r.stdout)
	}
	if !checkPassword(t, dir, "alice", m[2]) {
		t.Error("generated password does not verify")
	}

	// add with --password-stdin prints no password.
	r = runArgs(t, "s3cret pass\r\nignored\n", "user", "add", "--data", dir, "--password-stdin", "bob").want(t, exitOK)
	if strings.Contains(r.stdout, "password for") {
		t.Errorf("stdin password echoed: %q", r.stdout)
	}
	if !checkPassword(t, dir, "bob", "s3cret pass") {
		t.Error("stdin password does not verify")
	}

	// Duplicates, bad names and empty passwords are errors.
	runArgs(t, "", "user", "add", "--data", dir, "BOB").want(t, exitError)
	runArgs(t, "", "user", "add", "--data", dir, "../etc").want(t, exitError)
	runArgs(t, "\n", "user", "add", "--data", dir, "--password-stdin", "carol").want(t, exitError)

	r = runArgs(t, "", "user", "list", "--data", dir).want(t, exitOK)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "NAME ") || !strings.HasPrefix(lines[1], "alice ") || !strings.HasPrefix(lines[2], "bob ") {
		t.Errorf("list = %q, want alice and bob", r.stdout)
	}

	// passwd from stdin, then generated.
	runArgs(t, "n3w\n", "user", "passwd", "--data", dir, "bob", "--password-stdin").want(t, exitOK)
	if !checkPassword(t, dir, "bob", "n3w") || checkPassword(t, dir, "bob", "s3cret pass") {
		t.Error("passwd from stdin did not take")
	}
	r = runArgs(t, "", "user", "passwd", "--data", dir, "bob").want(t, exitOK)
	if m := generatedRE.FindStringSubmatch(r.stdout); m == nil || !checkPassword(t, dir, "bob", m[2]) {
		t.Errorf("generated passwd did not take: %q", r.stdout)
	}
	runArgs(t, "x\n", "user", "passwd", "--data", dir, "nobody", "--password-stdin").want(t, exitError)

	// del, with and without purge.
	runArgs(t, "", "user", "del", "--data", dir, "bob", "--purge").want(t, exitOK)
	runArgs(t, "", "user", "del", "--data", dir, "bob").want(t, exitError)
	runArgs(t, "", "user", "del", "--data", dir, "alice").want(t, exitOK)
	r = runArgs(t, "", "user", "list", "--data", dir).want(t, exitOK)
	if r.stdout != "" {
		t.Errorf("list after deleting all = %q", r.stdout)
	}
}

func TestUserDataFromConfig(t *testing.T) {
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "fromconfig")
	cfgFile := filepath.Join(tmp, "petrel.toml")
	if err := os.WriteFile(cfgFile, []byte("data_dir = \""+filepath.ToSlash(dir)+"\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	runArgs(t, "pw\n", "user", "add", "--config", cfgFile, "dora", "--password-stdin").want(t, exitOK)
	if !checkPassword(t, dir, "dora", "pw") {
		t.Error("user not created in the configured data_dir")
	}
	runArgs(t, "", "user", "list", "--config", filepath.Join(tmp, "missing.toml")).want(t, exitError)
}
