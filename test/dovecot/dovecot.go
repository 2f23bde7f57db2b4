// Package dovecot starts a private, throw-away instance of Debian's Dovecot
// IMAP server for tests and benchmarks. Each instance has its own
// configuration, passwd file, maildirs, sockets and log under a temporary
// directory, listens only on 127.0.0.1, and is stopped when the test ends.
//
// Dovecot is the reference the integration suite is validated against: a
// test that fails on Dovecot is suspect before the server is.
package dovecot

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Binary is the path of the Dovecot master binary on Debian.
const Binary = "/usr/sbin/dovecot"

// startTimeout bounds how long Start waits for Dovecot to accept connections.
const startTimeout = 15 * time.Second

// Server is a running Dovecot instance.
type Server struct {
	// Addr is the host:port of the plain IMAP listener (STARTTLS offered).
	Addr string
	// TLSAddr is the host:port of the implicit-TLS (IMAPS) listener.
	TLSAddr string
	// Dir is the instance's root directory: dovecot.conf, users, the
	// self-signed certificate, the log and the maildirs (mail/USER) live here.
	Dir string
	// LogPath is Dovecot's log file.
	LogPath string

	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
	err  error         // cmd.Wait result, valid after done is closed
}

// Available reports whether the Dovecot binary is installed.
func Available() bool {
	fi, err := os.Stat(Binary)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// Require fails t when Dovecot is missing and the CI environment variable
// is "true", and skips t with a clear message otherwise. Call it first in
// any test that needs Dovecot.
func Require(t testing.TB) {
	t.Helper()
	if Available() {
		return
	}
	msg := Binary + " not found; install Debian's dovecot-imapd (apt-get install dovecot-imapd)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// Start runs a new Dovecot instance in the foreground with the given users
// (name → plain-text password) and returns once its IMAP port accepts
// connections. The instance is stopped, and its directory removed, by
// t.Cleanup; its log is printed when the test failed.
//
// Start fails t (see Require) when Dovecot is not installed.
func Start(t testing.TB, users map[string]string) *Server {
	t.Helper()
	Require(t)
	// A short directory of our own rather than t.TempDir(): UNIX socket
	// paths are limited to ~107 bytes, and the unprivileged login and mail
	// users must be able to traverse it (t.TempDir's parents are 0700).
	dir, err := os.MkdirTemp("", "dovecot-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	s := &Server{Dir: dir, LogPath: filepath.Join(dir, "dovecot.log"), done: make(chan struct{})}
	ports, err := freePorts(2)
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0]))
	s.TLSAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[1]))
	if err := s.writeFiles(users, ports); err != nil {
		t.Fatal(err)
	}

	var out bytes.Buffer
	s.cmd = exec.Command(Binary, "-F", "-c", filepath.Join(dir, "dovecot.conf"))
	s.cmd.Stdout = &out
	s.cmd.Stderr = &out
	s.cmd.SysProcAttr = sysProcAttr()
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start dovecot: %v", err)
	}
	go func() {
		s.err = s.cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			s.dumpLog(t, out.String())
		}
	})
	if err := s.waitReady(); err != nil {
		t.Fatalf("dovecot: %v", err) // the cleanup stops it and prints its log
	}
	return s
}

// stop terminates Dovecot and waits for it to exit. Safe to call twice.
func (s *Server) stop() {
	select {
	case <-s.done:
		return
	default:
	}
	// The master shuts its children down on SIGTERM.
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

func (s *Server) dumpLog(t testing.TB, output string) {
	t.Helper()
	b, _ := os.ReadFile(s.LogPath)
	t.Logf("dovecot output:\n%s\ndovecot log (%s):\n%s", output, s.LogPath, b)
}

// waitReady polls the plain IMAP port until it accepts or Dovecot exits.
func (s *Server) waitReady() error {
	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-s.done:
			return fmt.Errorf("exited before accepting connections: %v", s.err)
		default:
		}
		c, err := net.DialTimeout("tcp", s.Addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not accept connections within %v: %v", s.Addr, startTimeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// accounts returns the system users Dovecot's processes run as.
// As root, Dovecot refuses to run login processes as root and mail
// processes with UID 0, so the unprivileged users Debian's package creates
// are used; otherwise everything runs as the current user.
func accounts() (internal, login, mail *user.User, err error) {
	if os.Getuid() != 0 {
		u, err := user.Current()
		return u, u, u, err
	}
	if internal, err = user.Lookup("dovecot"); err != nil {
		return nil, nil, nil, fmt.Errorf("dovecot system user: %w", err)
	}
	if login, err = user.Lookup("dovenull"); err != nil {
		return nil, nil, nil, fmt.Errorf("dovenull system user: %w", err)
	}
	return internal, login, internal, nil
}

func (s *Server) writeFiles(users map[string]string, ports []int) error {
	internal, login, mail, err := accounts()
	if err != nil {
		return err
	}
	group := func(u *user.User) string {
		if g, err := user.LookupGroupId(u.Gid); err == nil {
			return g.Name
		}
		return u.Gid
	}
	var pw strings.Builder
	names := make([]string, 0, len(users))
	for name := range users {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		pass := users[name]
		if strings.ContainsAny(name, ":\r\n\t ") || strings.ContainsAny(pass, ":\r\n") {
			return fmt.Errorf("user %q: name or password not representable in a passwd-file", name)
		}
		fmt.Fprintf(&pw, "%s:{PLAIN}%s\n", name, pass)
	}
	if err := os.WriteFile(filepath.Join(s.Dir, "users"), []byte(pw.String()), 0o644); err != nil {
		return err
	}
	if err := writeCert(s.Dir); err != nil {
		return err
	}
	uid, _ := strconv.Atoi(mail.Uid)
	gid, _ := strconv.Atoi(mail.Gid)
	for _, d := range []string{"mail", "home"} {
		p := filepath.Join(s.Dir, d)
		if err := os.Mkdir(p, 0o755); err != nil {
			return err
		}
		if os.Getuid() == 0 {
			if err := os.Chown(p, uid, gid); err != nil {
				return err
			}
		}
	}
	conf := fmt.Sprintf(configTemplate,
		s.Dir, internal.Username, group(internal), login.Username,
		mail.Uid, mail.Gid, ports[0], ports[1])
	return os.WriteFile(filepath.Join(s.Dir, "dovecot.conf"), []byte(conf), 0o644)
}

// configTemplate is a complete dovecot.conf (Dovecot 2.3). The include of
// the system configuration is deliberately absent. Arguments: root dir,
// internal user, internal group, login user, mail uid, mail gid, IMAP
// port, IMAPS port.
const configTemplate = `# Generated by petrel.dev/petrel/test/dovecot.
protocols = imap
listen = 127.0.0.1
base_dir = %[1]s/run
state_dir = %[1]s/state
instance_name = petrel-test-%[7]d
log_path = %[1]s/dovecot.log
info_log_path = %[1]s/dovecot.log
debug_log_path = %[1]s/dovecot.log
default_internal_user = %[2]s
default_internal_group = %[3]s
default_login_user = %[4]s
first_valid_uid = 0
first_valid_gid = 0
mail_uid = %[5]s
mail_gid = %[6]s
mail_location = maildir:%[1]s/mail/%%u:LAYOUT=fs
ssl = yes
ssl_cert = <%[1]s/cert.pem
ssl_key = <%[1]s/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
# Tests try wrong passwords on purpose: answer them at once.
auth_failure_delay = 0
login_trusted_networks =
mail_max_userip_connections = 1000
passdb {
  driver = passwd-file
  args = scheme=PLAIN %[1]s/users
}
userdb {
  driver = static
  args = uid=%[5]s gid=%[6]s home=%[1]s/home/%%u
}
namespace inbox {
  inbox = yes
  separator = /
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = %[7]d
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = %[8]d
  }
  chroot =
  process_min_avail = 0
}
service anvil {
  chroot =
  # No growing delays for an address after failed logins.
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
`

// writeCert writes a fresh self-signed ECDSA certificate for 127.0.0.1
// and localhost as cert.pem and key.pem in dir.
func writeCert(dir string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
	return errors.Join(
		os.WriteFile(filepath.Join(dir, "cert.pem"), certPEM, 0o644),
		os.WriteFile(filepath.Join(dir, "key.pem"), keyPEM, 0o600),
	)
}

// freePorts returns n distinct TCP ports on 127.0.0.1 that were free a
// moment ago. The kernel hands out ephemeral ports in sequence, so another
// process taking one before Dovecot binds it is unlikely; Start then fails
// with Dovecot's bind error in the log.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
