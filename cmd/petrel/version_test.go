package main

import (
	"strings"
	"testing"
)

func TestVersion(t *testing.T) {
	r := runArgs(t, "", "version").want(t, exitOK)
	if !strings.HasPrefix(r.stdout, "petrel "+version) {
		t.Errorf("version = %q", r.stdout)
	}
}
