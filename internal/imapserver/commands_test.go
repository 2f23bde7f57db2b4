package imapserver

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"petrel.dev/petrel/internal/imap"
	"petrel.dev/petrel/internal/wire"
)

func TestCapabilityList(t *testing.T) {
	tests := []struct {
		name     string
		k        capKey
		has, not []string
	}{
		{"cleartext loopback, STARTTLS configured",
			capKey{notAuth: true, starttls: true, plain: true, maxAppend: 1000},
			[]string{"IMAP4rev1", "IMAP4rev2", "STARTTLS", "AUTH=SCRAM-SHA-256", "AUTH=PLAIN", "AUTH=LOGIN", "SASL-IR", "IDLE", "APPENDLIMIT=1000"},
			[]string{"LOGINDISABLED", "AUTH=SCRAM-SHA-256-PLUS"}},
		{"cleartext remote: no plaintext passwords (RFC 9051 §11.1)",
			capKey{notAuth: true, starttls: true, maxAppend: 5},
			[]string{"STARTTLS", "LOGINDISABLED", "AUTH=SCRAM-SHA-256", "APPENDLIMIT=5"},
			[]string{"AUTH=PLAIN", "AUTH=LOGIN"}},
		{"after STARTTLS",
			capKey{notAuth: true, tls: true, starttls: true, plain: true, maxAppend: 5},
			[]string{"AUTH=SCRAM-SHA-256-PLUS", "AUTH=PLAIN"},
			[]string{"STARTTLS", "LOGINDISABLED"}},
		{"no TLS configured",
			capKey{notAuth: true, plain: true, maxAppend: 5},
			[]string{"AUTH=PLAIN"},
			[]string{"STARTTLS"}},
		{"authenticated: no AUTH= or STARTTLS",
			capKey{tls: true, starttls: true, plain: true, maxAppend: 7},
			[]string{"IMAP4rev2", "ENABLE", "CONDSTORE", "APPENDLIMIT=7"},
			[]string{"STARTTLS", "AUTH=PLAIN", "AUTH=SCRAM-SHA-256", "SASL-IR", "LOGINDISABLED"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.Fields(tt.k.build())
			set := map[string]bool{}
			for _, c := range got {
				if set[c] {
					t.Errorf("%s listed twice", c)
				}
				set[c] = true
			}
			for _, c := range tt.has {
				if !set[c] {
					t.Errorf("missing %s in %v", c, got)
				}
			}
			for _, c := range tt.not {
				if set[c] {
					t.Errorf("unexpected %s in %v", c, got)
				}
			}
		})
	}
}

func TestCapabilityCache(t *testing.T) {
	c := capStrings{m: make(map[capKey]string)}
	k := capKey{notAuth: true, plain: true, maxAppend: 1}
	first := c.get(k)
	if first != k.build() || c.get(k) != first || len(c.m) != 1 {
		t.Fatalf("cached %q, map %v", first, c.m)
	}
	if allocs := testing.AllocsPerRun(100, func() { c.get(k) }); allocs != 0 {
		t.Errorf("cached lookup allocates %v times", allocs)
	}
	// The cache is bounded; lookups beyond it are still answered.
	for i := range maxCapCache + 10 {
		k := capKey{maxAppend: int64(i + 2)}
		if got := c.get(k); !strings.HasSuffix(got, "APPENDLIMIT="+strconv.Itoa(i+2)) {
			t.Fatalf("get(%v) = %q", k, got)
		}
	}
	if len(c.m) != maxCapCache {
		t.Errorf("cache holds %d entries, limit %d", len(c.m), maxCapCache)
	}
}

func TestTraceCommand(t *testing.T) {
	var buf strings.Builder
	level := new(slog.LevelVar)
	s := &session{ctx: context.Background(), log: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: level}))}
	cmd := &imap.Command{Tag: "a1", Name: "FETCH", UID: true}
	start := time.Now()

	level.Set(slog.LevelInfo)
	s.traceCommand(cmd, "OK", "", start)
	if buf.Len() != 0 {
		t.Errorf("traced at info level: %q", buf.String())
	}
	// NOOP's path: nothing is built when debug is off.
	if allocs := testing.AllocsPerRun(100, func() { s.traceCommand(cmd, "OK", "", start) }); allocs != 0 {
		t.Errorf("disabled trace allocates %v times", allocs)
	}

	level.Set(slog.LevelDebug)
	s.traceCommand(cmd, "OK", "", start)
	s.traceCommand(cmd, "NO", "TRYCREATE", start)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("trace %q", buf.String())
	}
	for i, want := range [][]string{
		{"msg=command", "tag=a1", `cmd="UID FETCH"`, "result=OK", "duration="},
		{"result=NO", "code=TRYCREATE", "duration="},
	} {
		for _, w := range want {
			if !strings.Contains(lines[i], w) {
				t.Errorf("line %d %q lacks %s", i, lines[i], w)
			}
		}
	}
	if strings.Contains(lines[0], "code=") {
		t.Errorf("empty code traced: %q", lines[0])
	}
}

func TestWriteCompleted(t *testing.T) {
	for _, cmd := range []*imap.Command{
		{Tag: "a1", Name: "NOOP"},
		{Tag: "x.9", Name: "FETCH", UID: true},
	} {
		var got, want strings.Builder
		s := &session{}
		gw := bufio.NewWriter(&got)
		s.enc = wire.NewEncoder(gw)
		s.writeCompleted(cmd)
		gw.Flush()
		ww := bufio.NewWriter(&want)
		s.enc = wire.NewEncoder(ww)
		s.writeStatus(cmd.Tag, "OK", "", commandName(cmd)+" completed")
		ww.Flush()
		if got.String() != want.String() {
			t.Errorf("writeCompleted = %q, writeStatus = %q", got.String(), want.String())
		}
		s.enc = wire.NewEncoder(bufio.NewWriterSize(discard{}, 4096))
		if allocs := testing.AllocsPerRun(100, func() { s.writeCompleted(cmd) }); allocs != 0 {
			t.Errorf("writeCompleted allocates %v times", allocs)
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func TestAsStatusResp(t *testing.T) {
	no := respNo("CANNOT", "x").(*statusResp)
	tests := []struct {
		name string
		err  error
		want *statusResp
	}{
		{"nil", nil, nil},
		{"direct", no, no},
		{"wrapped", fmt.Errorf("context: %w", no), no},
		{"other", errors.New("disk on fire"), nil},
		{"fatal", errFatal, nil},
	}
	for _, tt := range tests {
		if got := asStatusResp(tt.err); got != tt.want {
			t.Errorf("%s: asStatusResp = %v, want %v", tt.name, got, tt.want)
		}
	}
	if allocs := testing.AllocsPerRun(100, func() { asStatusResp(no) }); allocs != 0 {
		t.Errorf("asStatusResp of a bare response allocates %v times", allocs)
	}
}
