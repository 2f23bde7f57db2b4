package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestUserQuota(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	runArgs(t, "pw\n", "user", "add", "--data", dir, "--password-stdin", "alice").want(t, exitOK)
	r := runArgs(t, "", "user", "quota", "--data", dir, "alice").want(t, exitOK)
	if r.stdout != "alice storage 0/unlimited messages 0/unlimited\n" {
		t.Errorf("quota = %q", r.stdout)
	}
	r = runArgs(t, "", "user", "quota", "--data", dir, "alice", "--storage", "500M", "--messages", "1000").want(t, exitOK)
	if !regexp.MustCompile(`^alice storage 0/500M(iB)? messages 0/1000\n$`).MatchString(r.stdout) {
		t.Errorf("quota after set = %q", r.stdout)
	}
	r = runArgs(t, "", "user", "list", "--data", dir).want(t, exitOK)
	if !strings.Contains(r.stdout, "0/1000") {
		t.Errorf("list does not show the quota: %q", r.stdout)
	}
	// --default falls back to the configuration's quota.
	cfg := filepath.Join(t.TempDir(), "petrel.toml")
	if err := os.WriteFile(cfg, []byte("data_dir = \""+dir+"\"\n[quota]\nmessages = 7\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r = runArgs(t, "", "user", "quota", "--config", cfg, "alice", "--default").want(t, exitOK)
	if r.stdout != "alice storage 0/unlimited messages 0/7\n" {
		t.Errorf("quota after --default = %q", r.stdout)
	}
	runArgs(t, "", "user", "quota", "--data", dir, "alice", "--storage", "lots").want(t, exitUsage)
	runArgs(t, "", "user", "quota", "--data", dir, "nobody", "--messages", "1").want(t, exitError)
}

func TestUserAlias(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	runArgs(t, "pw\n", "user", "add", "--data", dir, "--password-stdin", "alice").want(t, exitOK)
	runArgs(t, "", "user", "alias", "add", "--data", dir, "Postmaster@Example.org", "alice").want(t, exitOK)
	runArgs(t, "", "user", "alias", "add", "--data", dir, "sales", "nobody").want(t, exitError)
	r := runArgs(t, "", "user", "alias", "list", "--data", dir).want(t, exitOK)
	if strings.TrimSpace(r.stdout) != "postmaster@example.org  alice" {
		t.Errorf("alias list = %q", r.stdout)
	}
	runArgs(t, "", "user", "alias", "del", "--data", dir, "postmaster@example.org").want(t, exitOK)
	runArgs(t, "", "user", "alias", "del", "--data", dir, "postmaster@example.org").want(t, exitError)
	runArgs(t, "", "user", "alias", "add", "--data", dir, "x").want(t, exitUsage)
	runArgs(t, "", "user", "alias", "rename", "--data", dir).want(t, exitUsage)
}
