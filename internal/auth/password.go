// Package auth checks user names and passwords: argon2id password hashes
// in PHC string form with SCRAM-SHA-256 credentials beside them, the SASL
// mechanisms PLAIN (RFC 4616), LOGIN and SCRAM-SHA-256(-PLUS) (RFC 5802,
// RFC 7677) with channel binding (RFC 9266, RFC 5929), SASLprep (RFC
// 4013), user-name normalisation, and an Authenticator that adds growing
// delays after failed logins and a cache of recent successful logins.
package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// MaxPasswordLen is the longest password accepted, in bytes. RFC 4616 §2
// asks servers to accept at least 255 octets.
const MaxPasswordLen = 1024

// params are the argon2id cost parameters of a hash.
type params struct {
	memory  uint32 // KiB
	time    uint32 // passes
	threads uint8
	saltLen int
	keyLen  int
}

// defaultParams keep the memory of RFC 9106 §4's second recommended option
// (argon2id, 64 MiB) but use one pass and one lane instead of three and
// four, so that a hash costs about 50-60 ms of one core: memory is what
// makes guessing expensive on GPUs, and a login must stay quick. Stored
// hashes carry their parameters, so these can be raised later.
var defaultParams = params{memory: 64 * 1024, time: 1, threads: 1, saltLen: 16, keyLen: 32}

// Limits on parameters read from a stored hash, so that a corrupt or
// hostile record cannot make verification allocate without bound.
const (
	maxMemory  = 1 << 21 // KiB: 2 GiB
	maxTime    = 64
	minSaltLen = 8
	maxSaltLen = 64
	minKeyLen  = 16
	maxKeyLen  = 64
	maxHashLen = 512 // bytes of the whole PHC string
)

var b64 = base64.RawStdEncoding

// ErrMalformedHash is returned by VerifyPassword for a hash it cannot read.
var ErrMalformedHash = errors.New("auth: malformed password hash")

// HashPassword hashes password with argon2id and a random salt, and
// returns it as a PHC string: "$argon2id$v=19$m=65536,t=1,p=1$salt$hash"
// with salt and hash in unpadded standard base64. When SASLprep (RFC
// 4013) accepts the password, SCRAM-SHA-256 credentials with their own
// random salt follow (see scram.go); HasSCRAM tells whether they did.
func HashPassword(password string) (string, error) {
	h, err := hashWith(defaultParams, password)
	if err != nil {
		return "", err
	}
	salt := make([]byte, scramSaltLen)
	rand.Read(salt) // never fails (crypto/rand since Go 1.24)
	c, err := DeriveSCRAM(password, salt, SCRAMIterations)
	if err != nil {
		// SASLprep refused the password: PLAIN and LOGIN still work.
		return h, nil
	}
	return h + c.encode(), nil
}

func hashWith(p params, password string) (string, error) {
	if password == "" {
		return "", errors.New("auth: empty password")
	}
	if len(password) > MaxPasswordLen {
		return "", fmt.Errorf("auth: password longer than %d bytes", MaxPasswordLen)
	}
	salt := make([]byte, p.saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("auth: read random salt: %w", err)
	}
	key := idKey([]byte(password), salt, p.time, p.memory, p.threads, uint32(p.keyLen))
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.memory, p.time, p.threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword reports whether password matches hash, comparing in
// constant time. It returns an error wrapping ErrMalformedHash when hash
// is not an argon2id PHC string this package can verify, optionally
// followed by SCRAM credentials (hashes from before SCRAM support have
// none and verify as before).
func VerifyPassword(hash, password string) (bool, error) {
	p, salt, key, err := parseHash(hash)
	if err != nil {
		return false, err
	}
	if len(password) > MaxPasswordLen {
		return false, nil
	}
	got := idKey([]byte(password), salt, p.time, p.memory, p.threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// parseHash splits a PHC string "$argon2id$v=19$m=..,t=..,p=..$salt$hash",
// checking the SCRAM suffix, if any, too.
func parseHash(hash string) (p params, salt, key []byte, err error) {
	bad := func(why string) (params, []byte, []byte, error) {
		return params{}, nil, nil, fmt.Errorf("%w: %s", ErrMalformedHash, why)
	}
	if len(hash) > maxHashLen {
		return bad("too long")
	}
	if phc, suffix, ok := splitSCRAM(hash); ok {
		if _, err := parseSCRAM(suffix); err != nil {
			return params{}, nil, nil, err
		}
		hash = phc
	}
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[0] != "" {
		return bad("want 5 fields separated by '$'")
	}
	if parts[1] != "argon2id" {
		return bad(fmt.Sprintf("algorithm %q is not argon2id", parts[1]))
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return bad(fmt.Sprintf("unsupported version %q", parts[2]))
	}
	var seen [3]bool
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return bad(fmt.Sprintf("parameter %q", kv))
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil || n == 0 {
			return bad(fmt.Sprintf("parameter %q", kv))
		}
		switch {
		case k == "m" && !seen[0] && n <= maxMemory:
			p.memory, seen[0] = uint32(n), true
		case k == "t" && !seen[1] && n <= maxTime:
			p.time, seen[1] = uint32(n), true
		case k == "p" && !seen[2] && n <= 255:
			p.threads, seen[2] = uint8(n), true
		default:
			return bad(fmt.Sprintf("parameter %q", kv))
		}
	}
	if !seen[0] || !seen[1] || !seen[2] {
		return bad("missing m, t or p")
	}
	// RFC 9106 §3.1: memory must be at least 8 KiB per lane.
	if p.memory < 8*uint32(p.threads) {
		return bad("memory below 8*p KiB")
	}
	if salt, err = b64.DecodeString(parts[4]); err != nil || len(salt) < minSaltLen || len(salt) > maxSaltLen {
		return bad("salt")
	}
	if key, err = b64.DecodeString(parts[5]); err != nil || len(key) < minKeyLen || len(key) > maxKeyLen {
		return bad("hash")
	}
	p.saltLen, p.keyLen = len(salt), len(key)
	return p, salt, key, nil
}
