package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
)

func TestCheckTarget(t *testing.T) {
	tests := []struct {
		target string
		remote bool
		ok     bool
	}{
		{"127.0.0.1:143", false, true},
		{"127.4.5.6:143", false, true},
		{"[::1]:143", false, true},
		{"localhost:1143", false, true},
		{"[::ffff:127.0.0.1]:143", false, true},
		{"10.0.0.1:143", false, false},
		{"example.com:143", false, false},
		{"[2001:db8::1]:143", false, false},
		{"10.0.0.1:143", true, true},
		{"127.0.0.1", false, false},
		{"127.0.0.1:", false, false},
	}
	for _, tt := range tests {
		if err := checkTarget(tt.target, tt.remote); (err == nil) != tt.ok {
			t.Errorf("checkTarget(%q, %v) = %v", tt.target, tt.remote, err)
		}
	}
}

func TestParseFlags(t *testing.T) {
	base := []string{"--password", "p", "--target", "127.0.0.1:1"}
	tests := []struct {
		name string
		args []string
		ok   bool
	}{
		{"login", append([]string{"--scenario", "login"}, base...), true},
		{"no scenario", base, false},
		{"unknown scenario", append([]string{"--scenario", "nope"}, base...), false},
		{"no password", []string{"--scenario", "login"}, false},
		{"remote", []string{"--scenario", "login", "--password", "p", "--target", "192.0.2.1:143"}, false},
		{"bad template", append([]string{"--scenario", "login", "--user-template", "user"}, base...), false},
		{"two verbs", append([]string{"--scenario", "login", "--user-template", "%s%d"}, base...), false},
		{"zero clients", append([]string{"--scenario", "login", "--clients", "0"}, base...), false},
		{"too many clients", append([]string{"--scenario", "login", "--clients", "1000000"}, base...), false},
		{"negative duration", append([]string{"--scenario", "login", "--duration", "-1s"}, base...), false},
		{"extra arg", append([]string{"--scenario", "login", "x"}, base...), false},
		{"echo needs nothing", []string{"--scenario", "echo-ceiling"}, true},
		{"read-files needs path", []string{"--scenario", "read-files"}, false},
		{"read-files", []string{"--scenario", "read-files", "--path", "/tmp/a, /tmp/b"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseFlags(tt.args, io.Discard)
			if (err == nil) != tt.ok {
				t.Fatalf("parseFlags = %v", err)
			}
			if tt.name == "read-files" && len(o.Paths) != 2 {
				t.Errorf("paths %q", o.Paths)
			}
		})
	}
}

func TestOptionsUsers(t *testing.T) {
	o := &Options{UserTemplate: "u%d@x", Users: 3}
	var got []string
	for c := range 4 {
		got = append(got, o.user(o.userOf(c)))
	}
	if strings.Join(got, ",") != "u1@x,u2@x,u3@x,u1@x" {
		t.Errorf("users %v", got)
	}
}

func TestMainRefusedConnection(t *testing.T) {
	// Port 1 on loopback: nothing listens there in a test environment.
	var out, errOut bytes.Buffer
	code := Main(context.Background(), []string{"--scenario", "login", "--password", "p",
		"--target", "127.0.0.1:1", "--duration", "2s", "--clients", "1", "--json"}, &out, &errOut)
	if code != 1 {
		t.Fatalf("exit code %d, want 1; stderr %s", code, errOut.String())
	}
	var res Result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("JSON line: %v: %q", err, out.String())
	}
	if len(res.Commands) == 0 || res.Commands[0].Name != "CONNECT" || res.Commands[0].Errors == 0 {
		t.Errorf("result %+v", res)
	}
	if !strings.Contains(errOut.String(), "refused") {
		t.Errorf("stderr lacks the cause: %s", errOut.String())
	}
}

func TestMainUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := Main(context.Background(), []string{"--scenario", "login", "--target", "10.1.1.1:143", "--password", "x"}, &out, &errOut); code != 2 {
		t.Errorf("remote target: exit %d", code)
	}
	if !strings.Contains(errOut.String(), "--allow-remote") {
		t.Errorf("stderr %q", errOut.String())
	}
	errOut.Reset()
	if code := Main(context.Background(), []string{"-h"}, &out, &errOut); code != 0 {
		t.Errorf("-h: exit %d", code)
	}
	if !strings.Contains(errOut.String(), "idle-fanout") {
		t.Errorf("help lacks the scenarios: %q", errOut.String())
	}
}
