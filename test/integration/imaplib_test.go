package integration

import (
	"context"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestImaplib runs test/python/imaplib_test.py, which sends every command
// Python's imaplib has, once over STARTTLS on the plain port and once over
// implicit TLS.
func TestImaplib(t *testing.T) {
	python := lookPath(t, "python3")
	script := repoPath(t, "test/python/imaplib_test.py")
	for _, mode := range []string{"starttls", "ssl"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			forEachTarget(t, func(t *testing.T, s *server) {
				addr := s.Addr
				if mode == "ssl" {
					addr = s.TLSAddr
				}
				host, port, err := net.SplitHostPort(addr)
				if err != nil {
					t.Fatal(err)
				}
				args := []string{script, "--host", host, "--port", port, "--user", s.User, "--password", s.Pass}
				if mode == "ssl" {
					args = append(args, "--ssl")
				}
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
				defer cancel()
				out, err := exec.CommandContext(ctx, python, args...).CombinedOutput()
				t.Logf("imaplib_test.py --%s:\n%s", mode, out)
				if err != nil {
					t.Fatalf("imaplib_test.py failed: %v", err)
				}
				if !strings.Contains(string(out), " passed, 0 failed") {
					t.Fatalf("imaplib_test.py did not report success")
				}
			})
		})
	}
}
