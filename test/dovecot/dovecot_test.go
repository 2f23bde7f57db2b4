package dovecot

import (
	"crypto/tls"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

func TestStartLoginAppend(t *testing.T) {
	t.Parallel()
	s := Start(t, map[string]string{"alice": "secret one", "bob": "pw"})

	c, err := imapclient.DialInsecure(s.Addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login("alice", "wrong").Wait(); err == nil {
		t.Fatal("LOGIN with a wrong password succeeded")
	}
	if err := c.Login("alice", "secret one").Wait(); err != nil {
		t.Fatalf("LOGIN: %v", err)
	}
	msg := "Subject: hi\r\n\r\nbody\r\n"
	app := c.Append("INBOX", int64(len(msg)), nil)
	if _, err := app.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	if err := app.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Wait(); err != nil {
		t.Fatalf("APPEND: %v", err)
	}
	if err := c.Logout().Wait(); err != nil {
		t.Fatalf("LOGOUT: %v", err)
	}

	// The message landed in the instance's own maildir.
	files, _ := filepath.Glob(filepath.Join(s.Dir, "mail", "alice", "*", "*"))
	found := false
	for _, f := range files {
		if b, err := os.ReadFile(f); err == nil && strings.Contains(string(b), "Subject: hi") {
			found = true
		}
	}
	if !found {
		t.Errorf("appended message not found under %s", filepath.Join(s.Dir, "mail", "alice"))
	}
}

func TestStartTLSListeners(t *testing.T) {
	t.Parallel()
	s := Start(t, map[string]string{"bob": "pw"})
	cfg := &tls.Config{InsecureSkipVerify: true}

	c, err := imapclient.DialTLS(s.TLSAddr, &imapclient.Options{TLSConfig: cfg})
	if err != nil {
		t.Fatalf("IMAPS: %v", err)
	}
	if err := c.Login("bob", "pw").Wait(); err != nil {
		t.Fatalf("LOGIN over IMAPS: %v", err)
	}
	c.Close()

	c, err = imapclient.DialStartTLS(s.Addr, &imapclient.Options{TLSConfig: cfg})
	if err != nil {
		t.Fatalf("STARTTLS: %v", err)
	}
	defer c.Close()
	if !c.Caps().Has(imap.AuthCap("PLAIN")) {
		t.Errorf("AUTH=PLAIN not offered after STARTTLS: %v", c.Caps())
	}
	if err := c.Login("bob", "pw").Wait(); err != nil {
		t.Fatalf("LOGIN after STARTTLS: %v", err)
	}
}

func TestAvailable(t *testing.T) {
	_, err := os.Stat(Binary)
	if got, want := Available(), err == nil; got != want {
		t.Errorf("Available() = %v, stat error %v", got, err)
	}
}
