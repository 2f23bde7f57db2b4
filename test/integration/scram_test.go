package integration

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2/imapclient"
)

// scramClient is a SCRAM-SHA-256 client (RFC 5802, RFC 7677) for the
// go-imap client's Authenticate, written here because go-sasl has none.
type scramClient struct {
	user, pass  string
	nonce       string
	clientFirst string
	serverSig   []byte
	step        int
}

func (c *scramClient) Start() (string, []byte, error) {
	b := make([]byte, 18)
	rand.Read(b)
	c.nonce = base64.RawStdEncoding.EncodeToString(b)
	c.clientFirst = "n=" + c.user + ",r=" + c.nonce
	return "SCRAM-SHA-256", []byte("n,," + c.clientFirst), nil
}

func (c *scramClient) Next(challenge []byte) ([]byte, error) {
	c.step++
	switch c.step {
	case 1:
		attrs := map[string]string{}
		for _, kv := range strings.Split(string(challenge), ",") {
			if k, v, ok := strings.Cut(kv, "="); ok {
				attrs[k] = v
			}
		}
		if !strings.HasPrefix(attrs["r"], c.nonce) {
			return nil, errors.New("server nonce does not extend ours")
		}
		salt, err := base64.StdEncoding.DecodeString(attrs["s"])
		if err != nil {
			return nil, err
		}
		iter, err := strconv.Atoi(attrs["i"])
		if err != nil {
			return nil, err
		}
		salted, err := pbkdf2.Key(sha256.New, c.pass, salt, iter, 32)
		if err != nil {
			return nil, err
		}
		mac := func(key []byte, s string) []byte {
			h := hmac.New(sha256.New, key)
			h.Write([]byte(s))
			return h.Sum(nil)
		}
		clientKey := mac(salted, "Client Key")
		stored := sha256.Sum256(clientKey)
		final := "c=biws,r=" + attrs["r"]
		auth := c.clientFirst + "," + string(challenge) + "," + final
		sig := mac(stored[:], auth)
		proof := make([]byte, len(clientKey))
		for i := range proof {
			proof[i] = clientKey[i] ^ sig[i]
		}
		c.serverSig = mac(mac(salted, "Server Key"), auth)
		return []byte(final + ",p=" + base64.StdEncoding.EncodeToString(proof)), nil
	case 2:
		if string(challenge) != "v="+base64.StdEncoding.EncodeToString(c.serverSig) {
			return nil, fmt.Errorf("server signature %q does not verify", challenge)
		}
		return []byte{}, nil
	}
	return nil, errors.New("unexpected SCRAM step")
}

// TestSCRAMClients logs in with SCRAM-SHA-256 from the go-imap client and
// from Python's imaplib.authenticate (issue: "SCRAM logins with the go-imap
// client and with Python's imaplib"), and checks a wrong password fails.
func TestSCRAMClients(t *testing.T) {
	s := startServer(t, kindPetrel)
	c, err := imapclient.DialInsecure(s.Addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Authenticate(&scramClient{user: s.User, pass: s.Pass}); err != nil {
		t.Fatalf("SCRAM-SHA-256 with go-imap: %v", err)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	bad, err := imapclient.DialInsecure(s.Addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	if err := bad.Authenticate(&scramClient{user: s.User, pass: s.Pass + "x"}); err == nil {
		t.Fatal("SCRAM with a wrong password succeeded")
	}

	python := lookPath(t, "python3")
	host, port, _ := strings.Cut(s.Addr, ":")
	out, err := exec.Command(python, "-c", pythonSCRAM, host, port, s.User, s.Pass).CombinedOutput()
	if err != nil {
		t.Fatalf("imaplib SCRAM: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "scram ok") {
		t.Fatalf("imaplib SCRAM output: %s", out)
	}
}

// pythonSCRAM authenticates with imaplib.authenticate("SCRAM-SHA-256").
const pythonSCRAM = `
import base64, hashlib, hmac, imaplib, os, sys
host, port, user, pw = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
nonce = base64.b64encode(os.urandom(18)).decode()
first = "n=%s,r=%s" % (user, nonce)
state = {"step": 0}
def scram(challenge):
    state["step"] += 1
    if state["step"] == 1:
        return ("n,," + first).encode()
    if state["step"] == 2:
        server_first = challenge.decode()
        attrs = dict(kv.split("=", 1) for kv in server_first.split(","))
        assert attrs["r"].startswith(nonce)
        salted = hashlib.pbkdf2_hmac("sha256", pw.encode(), base64.b64decode(attrs["s"]), int(attrs["i"]))
        client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
        stored = hashlib.sha256(client_key).digest()
        final = "c=biws,r=" + attrs["r"]
        auth = ",".join([first, server_first, final]).encode()
        sig = hmac.new(stored, auth, hashlib.sha256).digest()
        proof = bytes(a ^ b for a, b in zip(client_key, sig))
        state["server_sig"] = hmac.new(hmac.new(salted, b"Server Key", hashlib.sha256).digest(), auth, hashlib.sha256).digest()
        return (final + ",p=" + base64.b64encode(proof).decode()).encode()
    assert challenge.decode() == "v=" + base64.b64encode(state["server_sig"]).decode(), challenge
    return b""
m = imaplib.IMAP4(host, port)
typ, data = m.authenticate("SCRAM-SHA-256", scram)
assert typ == "OK", (typ, data)
typ, data = m.select("INBOX")
assert typ == "OK", (typ, data)
m.logout()
print("scram ok")
`
