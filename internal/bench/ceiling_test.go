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
