package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEchoCeiling(t *testing.T) {
	var out, errOut bytes.Buffer
	code := Main(context.Background(), []string{"--scenario", "echo-ceiling", "--duration", "200ms", "--clients", "2"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "ROUNDTRIP") {
		t.Errorf("output %q", out.String())
	}
}

func TestReadFiles(t *testing.T) {
	dir := t.TempDir()
	for i, size := range []int{0, 10, 300 << 10} {
		sub := filepath.Join(dir, "acct", string(rune('a'+i)))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(sub, "msg"), make([]byte, size), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var out, errOut bytes.Buffer
	code := Main(context.Background(), []string{"--scenario", "read-files", "--json", "--clients", "2",
		"--path", filepath.Join(dir, "acct", "*") + "," + filepath.Join(dir, "none*")}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var res Result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Commands) != 1 || res.Commands[0].Ops != 3 || res.Commands[0].Bytes != 10+300<<10 {
		t.Errorf("result %+v", res.Commands)
	}
	out.Reset()
	code = Main(context.Background(), []string{"--scenario", "read-files", "--path", filepath.Join(dir, "nothing")}, &out, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), "no file") {
		t.Errorf("empty glob: exit %d, %q", code, errOut.String())
	}
}

func init() { responderInProcess = true }

func TestFanoutCeiling(t *testing.T) {
	var out, errOut bytes.Buffer
	code := Main(context.Background(), []string{"--scenario", "fanout-ceiling", "--clients", "20", "--rounds", "2", "--json"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var res struct {
		Commands []struct {
			Name   string
			Ops    int
			Errors int
		}
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	got := map[string]int{}
	for _, c := range res.Commands {
		if c.Errors != 0 {
			t.Errorf("%s: %d errors", c.Name, c.Errors)
		}
		got[c.Name] = c.Ops
	}
	if got["IDLE notify"] != 40 || got["IDLE all notified"] != 2 {
		t.Errorf("ops %v, want 40 notifications in 2 rounds", got)
	}
}
