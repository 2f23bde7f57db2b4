package auth

// SCRAM-SHA-256 and SCRAM-SHA-256-PLUS (RFC 5802 with SHA-256 per RFC
// 7677), server side.
//
// Stored credentials (RFC 5802 §3) are kept inside the password hash
// string, after the argon2id PHC string:
//
//	$argon2id$v=19$m=..,t=..,p=..$<salt>$<hash>$scram-sha-256$i=<iter>$<salt>$<StoredKey>$<ServerKey>
//
// with unpadded standard base64 fields, so that they live and change
// together with the password and need no schema change. Hashes written
// before SCRAM support lack the suffix: those users can use PLAIN and
// LOGIN, and SCRAM fails for them until their password is set again.
//
// The exchange (RFC 5802 §5):
//
//	C: gs2-header client-first-message-bare       n,,n=user,r=cnonce
//	S: server-first-message                       r=cnonce+snonce,s=salt,i=4096
//	C: client-final-message                       c=base64(gs2-header+cbdata),r=..,p=proof
//	S: server-final-message                       v=ServerSignature
//
// scramServer is the pure state machine; SCRAMExchange (scramauth.go)
// adds the user lookup, failure delays and logging of the Authenticator.

import (
	"bytes"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// SASL mechanism names of SCRAM (RFC 7677 §3).
const (
	MechSCRAMSHA256     = "SCRAM-SHA-256"
	MechSCRAMSHA256Plus = "SCRAM-SHA-256-PLUS"
)

// SCRAMIterations is the iteration count of newly derived credentials;
// RFC 7677 §3 asks for at least 4096.
const SCRAMIterations = 4096

// Limits on SCRAM data.
const (
	minSCRAMIterations = 4096
	maxSCRAMIterations = 1 << 24
	maxSCRAMMessage    = 4096 // bytes of one client message
	maxNonce           = 256  // bytes of the client nonce
	scramSaltLen       = 16
	scramPrefix        = "$scram-sha-256$"
)

// ErrSCRAMSyntax is wrapped by errors for a malformed SCRAM client message.
var ErrSCRAMSyntax = errors.New("auth: malformed SCRAM message")

func scramSyntax(why string) error { return fmt.Errorf("%w: %s", ErrSCRAMSyntax, why) }

// SCRAMCredentials are what the server stores for SCRAM-SHA-256 (RFC 5802
// §3): the salt and iteration count of Hi, StoredKey = H(ClientKey) and
// ServerKey. They allow verifying a client but not impersonating one.
type SCRAMCredentials struct {
	Iterations           int
	Salt                 []byte
	StoredKey, ServerKey []byte // sha256.Size bytes each
}

// DeriveSCRAM computes the credentials for password, which is prepared
// with SASLprep first (RFC 5802 §2.2 Normalize). It fails, with an error
// wrapping ErrSASLprep, for a password SASLprep refuses.
func DeriveSCRAM(password string, salt []byte, iterations int) (SCRAMCredentials, error) {
	if iterations < minSCRAMIterations || iterations > maxSCRAMIterations {
		return SCRAMCredentials{}, fmt.Errorf("auth: SCRAM iteration count %d out of range", iterations)
	}
	if len(salt) < minSaltLen || len(salt) > maxSaltLen {
		return SCRAMCredentials{}, fmt.Errorf("auth: SCRAM salt of %d bytes", len(salt))
	}
	prepped, err := SASLprep(password)
	if err != nil {
		return SCRAMCredentials{}, err
	}
	// RFC 5802 §2.2: Hi is PBKDF2 with HMAC as the PRF and dkLen the
	// hash's output length.
	salted, err := pbkdf2.Key(sha256.New, prepped, salt, iterations, sha256.Size)
	if err != nil {
		return SCRAMCredentials{}, fmt.Errorf("auth: SCRAM Hi: %w", err)
	}
	clientKey := hmacSHA256(salted, []byte("Client Key"))
	stored := sha256.Sum256(clientKey)
	return SCRAMCredentials{
		Iterations: iterations,
		Salt:       bytes.Clone(salt),
		StoredKey:  stored[:],
		ServerKey:  hmacSHA256(salted, []byte("Server Key")),
	}, nil
}

func hmacSHA256(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

// encode returns the hash-string suffix of c.
func (c SCRAMCredentials) encode() string {
	return scramPrefix + "i=" + strconv.Itoa(c.Iterations) + "$" + b64.EncodeToString(c.Salt) + "$" +
		b64.EncodeToString(c.StoredKey) + "$" + b64.EncodeToString(c.ServerKey)
}

// splitSCRAM splits a password hash into its PHC part and SCRAM suffix
// (without the prefix); ok is false when there is no suffix.
func splitSCRAM(hash string) (phc, suffix string, ok bool) {
	return strings.Cut(hash, scramPrefix)
}

// parseSCRAM reads the suffix written by encode, without its prefix.
func parseSCRAM(s string) (SCRAMCredentials, error) {
	bad := func(why string) (SCRAMCredentials, error) {
		return SCRAMCredentials{}, fmt.Errorf("%w: SCRAM %s", ErrMalformedHash, why)
	}
	parts := strings.Split(s, "$")
	if len(parts) != 4 {
		return bad("wants 4 fields")
	}
	it, ok := strings.CutPrefix(parts[0], "i=")
	n, err := strconv.Atoi(it)
	if !ok || err != nil || n < minSCRAMIterations || n > maxSCRAMIterations {
		return bad("iteration count")
	}
	c := SCRAMCredentials{Iterations: n}
	if c.Salt, err = b64.DecodeString(parts[1]); err != nil || len(c.Salt) < minSaltLen || len(c.Salt) > maxSaltLen {
		return bad("salt")
	}
	if c.StoredKey, err = b64.DecodeString(parts[2]); err != nil || len(c.StoredKey) != sha256.Size {
		return bad("StoredKey")
	}
	if c.ServerKey, err = b64.DecodeString(parts[3]); err != nil || len(c.ServerKey) != sha256.Size {
		return bad("ServerKey")
	}
	return c, nil
}

// SCRAMFromHash returns the SCRAM credentials stored in a password hash
// made by HashPassword. ok is false for a hash without them (made before
// SCRAM support, or for a password SASLprep refuses); err wraps
// ErrMalformedHash for an unreadable suffix.
func SCRAMFromHash(hash string) (c SCRAMCredentials, ok bool, err error) {
	if len(hash) > maxHashLen {
		return SCRAMCredentials{}, false, fmt.Errorf("%w: too long", ErrMalformedHash)
	}
	_, suffix, ok := splitSCRAM(hash)
	if !ok {
		return SCRAMCredentials{}, false, nil
	}
	c, err = parseSCRAM(suffix)
	if err != nil {
		return SCRAMCredentials{}, false, err
	}
	return c, true, nil
}

// HasSCRAM reports whether hash carries usable SCRAM credentials.
func HasSCRAM(hash string) bool {
	_, ok, err := SCRAMFromHash(hash)
	return ok && err == nil
}

// ChannelBindings maps channel-binding type names (RFC 5056), such as
// "tls-exporter" (RFC 9266) and "tls-server-end-point" (RFC 5929), to the
// binding data of the connection. A nil map means no channel binding.
type ChannelBindings map[string][]byte

// scramServer is one SCRAM exchange's protocol state.
type scramServer struct {
	plus bool            // SCRAM-SHA-256-PLUS was selected
	cb   ChannelBindings // what this connection can bind to

	step            int
	gs2Header       string // "n,,", "y,,", "p=tls-exporter,,"
	cbType          string // for "p="
	clientFirstBare string
	serverFirst     string
	nonce           string // client nonce + server nonce
}

// clientFirst holds the parts of a client-first-message the caller needs.
type clientFirst struct {
	authzid, user string
}

// errCBMismatch is wrapped by channel-binding failures; they are
// authentication failures, not syntax errors.
var errCBMismatch = errors.New("channel binding mismatch")

// handleClientFirst parses the client-first-message (RFC 5802 §7):
//
//	gs2-header = gs2-cbind-flag "," [ authzid ] ","
//	gs2-cbind-flag = ("p=" cb-name) / "n" / "y"
//	client-first-message-bare = [reserved-mext ","] username "," nonce ["," extensions]
func (s *scramServer) handleClientFirst(msg []byte) (clientFirst, error) {
	var cf clientFirst
	if len(msg) > maxSCRAMMessage {
		return cf, scramSyntax("message too long")
	}
	m := string(msg)
	flag, rest, ok := strings.Cut(m, ",")
	if !ok {
		return cf, scramSyntax("no gs2 header")
	}
	authz, bare, ok := strings.Cut(rest, ",")
	if !ok {
		return cf, scramSyntax("no gs2 header")
	}
	s.gs2Header = m[:len(m)-len(bare)]
	if authz != "" {
		v, ok := strings.CutPrefix(authz, "a=")
		if !ok {
			return cf, scramSyntax("bad authzid")
		}
		name, err := decodeSaslname(v)
		if err != nil {
			return cf, err
		}
		cf.authzid = name
	}
	// RFC 5802 §6: the channel-binding flag against what this server
	// offers on this connection.
	switch {
	case flag == "n":
		if s.plus {
			return cf, fmt.Errorf("%w: %s without channel binding", errCBMismatch, MechSCRAMSHA256Plus)
		}
	case flag == "y":
		// The client could bind but thinks the server cannot: if this
		// connection offers -PLUS, a downgrade happened.
		if s.plus || len(s.cb) > 0 {
			return cf, fmt.Errorf("%w: client says the server does not support channel binding", errCBMismatch)
		}
	case strings.HasPrefix(flag, "p="):
		s.cbType = flag[2:]
		if s.cbType == "" || len(s.cbType) > 64 {
			return cf, scramSyntax("bad channel binding name")
		}
		if !s.plus {
			return cf, fmt.Errorf("%w: channel binding requested with %s", errCBMismatch, MechSCRAMSHA256)
		}
		if _, ok := s.cb[s.cbType]; !ok {
			return cf, fmt.Errorf("%w: unsupported channel binding type %q", errCBMismatch, s.cbType)
		}
	default:
		return cf, scramSyntax("bad gs2-cbind-flag")
	}

	s.clientFirstBare = bare
	attrs := strings.Split(bare, ",")
	if len(attrs) < 2 {
		return cf, scramSyntax("want username and nonce")
	}
	if strings.HasPrefix(attrs[0], "m=") {
		// RFC 5802 §5.1: a server that does not understand m= must fail.
		return cf, scramSyntax("unsupported mandatory extension")
	}
	v, ok := strings.CutPrefix(attrs[0], "n=")
	if !ok {
		return cf, scramSyntax("want n=username")
	}
	name, err := decodeSaslname(v)
	if err != nil {
		return cf, err
	}
	cf.user = name
	cnonce, ok := strings.CutPrefix(attrs[1], "r=")
	if !ok || !validNonce(cnonce) {
		return cf, scramSyntax("want r=nonce")
	}
	s.nonce = cnonce
	s.step = 1
	return cf, nil
}

// validNonce: RFC 5802 §7: printable ASCII except ','.
func validNonce(n string) bool {
	if n == "" || len(n) > maxNonce {
		return false
	}
	for i := 0; i < len(n); i++ {
		if n[i] < 0x21 || n[i] > 0x7E || n[i] == ',' {
			return false
		}
	}
	return true
}

// decodeSaslname undoes RFC 5802 §5.1's escaping ("=2C" for ',', "=3D"
// for '='); a lone '=' is an error.
func decodeSaslname(v string) (string, error) {
	if v == "" || len(v) > 2*MaxUserLen*3 {
		return "", scramSyntax("bad saslname")
	}
	if !strings.Contains(v, "=") {
		return v, nil
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] != '=' {
			b.WriteByte(v[i])
			continue
		}
		switch {
		case strings.HasPrefix(v[i:], "=2C"):
			b.WriteByte(',')
		case strings.HasPrefix(v[i:], "=3D"):
			b.WriteByte('=')
		default:
			return "", scramSyntax("bad '=' escape in saslname")
		}
		i += 2
	}
	return b.String(), nil
}

// serverFirstMessage returns r=nonce,s=salt,i=iterations, appending
// serverNonce to the client's nonce.
func (s *scramServer) serverFirstMessage(serverNonce string, c SCRAMCredentials) []byte {
	s.nonce += serverNonce
	s.serverFirst = "r=" + s.nonce + ",s=" + base64.StdEncoding.EncodeToString(c.Salt) + ",i=" + strconv.Itoa(c.Iterations)
	s.step = 2
	return []byte(s.serverFirst)
}

// handleClientFinal checks the client-final-message (RFC 5802 §7):
//
//	client-final-message = channel-binding "," nonce ["," extensions] "," proof
//
// against c and returns the server-final-message. Errors wrap
// ErrSCRAMSyntax, errCBMismatch or errBadProof.
func (s *scramServer) handleClientFinal(msg []byte, c SCRAMCredentials) ([]byte, error) {
	if s.step != 2 {
		return nil, errors.New("auth: SCRAM messages out of order")
	}
	s.step = 3
	if len(msg) > maxSCRAMMessage {
		return nil, scramSyntax("message too long")
	}
	m := string(msg)
	i := strings.LastIndex(m, ",p=")
	if i < 0 {
		return nil, scramSyntax("no proof")
	}
	withoutProof := m[:i]
	proof, err := base64.StdEncoding.Strict().DecodeString(m[i+3:])
	if err != nil || len(proof) != sha256.Size {
		return nil, scramSyntax("bad proof")
	}
	attrs := strings.Split(withoutProof, ",")
	if len(attrs) < 2 {
		return nil, scramSyntax("want channel binding and nonce")
	}
	cbv, ok := strings.CutPrefix(attrs[0], "c=")
	if !ok {
		return nil, scramSyntax("want c=")
	}
	cbInput, err := base64.StdEncoding.Strict().DecodeString(cbv)
	if err != nil {
		return nil, scramSyntax("bad base64 in c=")
	}
	nonce, ok := strings.CutPrefix(attrs[1], "r=")
	if !ok {
		return nil, scramSyntax("want r=")
	}
	want := []byte(s.gs2Header)
	if s.cbType != "" {
		want = append(want, s.cb[s.cbType]...)
	}
	if subtle.ConstantTimeCompare(cbInput, want) != 1 {
		return nil, fmt.Errorf("%w: c= does not match the connection", errCBMismatch)
	}
	if nonce != s.nonce {
		return nil, scramSyntax("nonce does not match")
	}

	// RFC 5802 §3.
	authMessage := []byte(s.clientFirstBare + "," + s.serverFirst + "," + withoutProof)
	clientSig := hmacSHA256(c.StoredKey, authMessage)
	clientKey := make([]byte, sha256.Size)
	subtle.XORBytes(clientKey, proof, clientSig)
	got := sha256.Sum256(clientKey)
	if subtle.ConstantTimeCompare(got[:], c.StoredKey) != 1 {
		return nil, errBadProof
	}
	serverSig := hmacSHA256(c.ServerKey, authMessage)
	return []byte("v=" + base64.StdEncoding.EncodeToString(serverSig)), nil
}

// errBadProof is a wrong password (or credentials that do not exist).
var errBadProof = errors.New("wrong SCRAM proof")
