package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"regexp"
	"strings"
	"testing"
)

// result is the outcome of one run.
type result struct {
	code           int
	stdout, stderr string
}

func runArgs(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return result{code, out.String(), errb.String()}
}

func (r result) want(t *testing.T, code int) result {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit code %d, want %d\nstdout: %s\nstderr: %s", r.code, code, r.stdout, r.stderr)
	}
	return r
}

var generatedRE = regexp.MustCompile(`password for (\S+): ([A-Za-z0-9]{20})\n`)

func TestUsage(t *testing.T) {
	tests := []struct {
		args []string
		code int
	}{
		{nil, exitUsage},
		{[]string{"frobnicate"}, exitUsage},
		{[]string{"help"}, exitOK},
		{[]string{"-h"}, exitOK},
		{[]string{"user"}, exitUsage},
		{[]string{"user", "rename"}, exitUsage},
		{[]string{"user", "add", "-h"}, exitOK},
		{[]string{"user", "add"}, exitUsage},
		{[]string{"user", "add", "a", "b"}, exitUsage},
		{[]string{"user", "add", "--bogus", "a"}, exitUsage},
		{[]string{"user", "list", "extra"}, exitUsage},
		{[]string{"serve", "-h"}, exitOK},
		{[]string{"serve", "extra"}, exitUsage},
		{[]string{"serve", "--log-level", "loud"}, exitError},
		{[]string{"version", "extra"}, exitUsage},
	}
	for _, tt := range tests {
		r := runArgs(t, "", tt.args...)
		if r.code != tt.code {
			t.Errorf("petrel %q: exit %d, want %d\nstderr: %s", tt.args, r.code, tt.code, r.stderr)
		}
		if tt.code == exitUsage && !strings.Contains(r.stderr, "petrel help") {
			t.Errorf("petrel %q: usage error without a hint: %q", tt.args, r.stderr)
		}
	}
	r := runArgs(t, "", "help").want(t, exitOK)
	if !strings.Contains(r.stdout, "petrel user add") {
		t.Errorf("help lacks the user commands: %q", r.stdout)
	}
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		args    []string
		wantPos []string
		wantB   bool
		wantS   string
	}{
		{nil, nil, false, ""},
		{[]string{"a"}, []string{"a"}, false, ""},
		{[]string{"-b", "a"}, []string{"a"}, true, ""},
		{[]string{"a", "-b"}, []string{"a"}, true, ""},
		{[]string{"a", "--s", "x", "b"}, []string{"a", "b"}, false, "x"},
		{[]string{"--", "-b"}, []string{"-b"}, false, ""},
		{[]string{"a", "--", "-b", "c"}, []string{"a", "-b", "c"}, false, ""},
		{[]string{"-s", "--", "a"}, []string{"a"}, false, "--"},
	}
	for _, tt := range tests {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		b := fs.Bool("b", false, "")
		s := fs.String("s", "", "")
		pos, err := parseFlags(fs, tt.args)
		if err != nil || strings.Join(pos, ",") != strings.Join(tt.wantPos, ",") || *b != tt.wantB || *s != tt.wantS {
			t.Errorf("parseFlags(%q) = %q, b=%v, s=%q, %v; want %q, %v, %q", tt.args, pos, *b, *s, err, tt.wantPos, tt.wantB, tt.wantS)
		}
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var ue usageError
	if _, err := parseFlags(fs, []string{"a", "-x"}); !errors.As(err, &ue) {
		t.Errorf("unknown flag: %v, want usageError", err)
	}
}
