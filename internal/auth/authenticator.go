package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"petrel.dev/petrel/internal/store"
)

// ErrFailed is returned by Authenticate for a wrong user name or
// password. It does not say which.
var ErrFailed = errors.New("authentication failed")

// Defaults for zero Options fields.
const (
	DefaultBaseDelay = 500 * time.Millisecond
	DefaultMaxDelay  = 15 * time.Second
	DefaultCacheTTL  = time.Hour
	DefaultCacheSize = 10000
)

// Options configure an Authenticator. Zero fields take the defaults
// above; a negative BaseDelay disables failure delays, and a negative
// CacheTTL or CacheSize disables the login cache.
type Options struct {
	Logger *slog.Logger // nil: slog.Default()
	// BaseDelay is the delay after a first failure; each further recent
	// failure from the same network or for the same user doubles it, up
	// to MaxDelay.
	BaseDelay, MaxDelay time.Duration
	// CacheTTL is how long a successful login is remembered.
	CacheTTL time.Duration
	// CacheSize bounds the number of remembered logins.
	CacheSize int
}

// Authenticator checks passwords against hashes from a lookup function.
// It is safe for concurrent use.
type Authenticator struct {
	lookup    func(ctx context.Context, user string) (string, error) // New's, run by a lookupPool
	log       *slog.Logger
	baseDelay time.Duration
	maxDelay  time.Duration
	cacheTTL  time.Duration // <= 0: no cache
	cacheSize int
	cacheKey  []byte // random per process; HMAC key for cached passwords
	dummyHash string // verified for unknown users, to take the same time

	ips, users *failures

	mu    sync.Mutex
	cache map[string]cacheEntry // guarded by mu; key is the user name
	macs  sync.Pool             // of hash.Hash: HMAC-SHA256 under cacheKey

	// Hooks, replaced by tests.
	now    func() time.Time
	sleep  func(ctx context.Context, d time.Duration)
	verify func(hash, password string) (bool, error)
}

// cacheEntry remembers one successful login. It is valid while the stored
// hash is still storedHash and the presented password has the same MAC.
type cacheEntry struct {
	storedHash string
	mac        []byte
	expires    time.Time
}

// New returns an Authenticator. lookup returns the stored password hash
// of a (normalised) user, or an error wrapping store.ErrNoUser; it is
// called on every Authenticate and every SCRAM exchange (NewSCRAM), so it
// must be cheap; it should honour ctx, and may run on a worker goroutine
// of the Authenticator (lookup.go). The hash is HashPassword's string,
// which also carries the user's SCRAM credentials.
func New(lookup func(ctx context.Context, user string) (string, error), opts Options) *Authenticator {
	return newWith(lookup, opts, defaultParams)
}

// newWith is New with the argon2 parameters of the dummy hash given.
func newWith(lookup func(ctx context.Context, user string) (string, error), opts Options, p params) *Authenticator {
	a := &Authenticator{
		lookup:    newLookupPool(lookup, maxLookupWorkers, lookupIdle).lookup,
		log:       opts.Logger,
		baseDelay: orDefault(opts.BaseDelay, DefaultBaseDelay),
		maxDelay:  orDefault(opts.MaxDelay, DefaultMaxDelay),
		cacheTTL:  orDefault(opts.CacheTTL, DefaultCacheTTL),
		cacheSize: orDefault(opts.CacheSize, DefaultCacheSize),
		cacheKey:  make([]byte, 32),
		ips:       newFailures(),
		users:     newFailures(),
		cache:     make(map[string]cacheEntry),
		now:       time.Now,
		sleep:     sleepCtx,
		verify:    VerifyPassword,
	}
	if a.log == nil {
		a.log = slog.Default()
	}
	if a.cacheSize <= 0 {
		a.cacheTTL = 0
	}
	rand.Read(a.cacheKey) // never fails (crypto/rand since Go 1.24)
	buf := make([]byte, 16)
	rand.Read(buf)
	h, err := hashWith(p, fmt.Sprintf("%x", buf))
	if err != nil {
		panic("auth: hash dummy password: " + err.Error()) // only on a broken argon2 or rand
	}
	a.dummyHash = h
	return a
}

func orDefault[T int | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

func sleepCtx(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// Authenticate checks user and password. user is normalised with
// NormalizeUser first; callers should log in as the normalised name.
//
// On failure it waits a delay that grows with the recent failures from
// remote's network and for user (see BaseDelay), logs the failure
// without the password, and returns ErrFailed. Unknown users cost the
// same argon2 work as known ones. Errors other than ErrFailed come from
// lookup and mean the check could not be made.
//
// A successful login is remembered (like Dovecot's auth cache) as the
// stored hash plus an HMAC-SHA256 of the password under a per-process
// key; a repeated login with the same password skips argon2 while the
// stored hash, read through lookup on every call, is unchanged. A
// password change therefore invalidates the entry at once, even when it
// is made by another process.
func (a *Authenticator) Authenticate(ctx context.Context, user, password string, remote netip.Addr) error {
	name, nameErr := NormalizeUser(user)
	hash := a.dummyHash
	known := false
	reason := "unknown user"
	if nameErr == nil {
		stored, err := a.lookup(ctx, name)
		switch {
		case err == nil:
			hash, known, reason = stored, true, "wrong password"
		case errors.Is(err, store.ErrNoUser):
		default:
			return fmt.Errorf("auth: look up user %q: %w", name, err)
		}
	} else {
		reason = "invalid user name"
	}
	if len(password) > MaxPasswordLen {
		// Still do the argon2 work below so that the answer takes the
		// usual time; the long password itself is not hashed.
		password, known, reason = "", false, "password too long"
	}

	var mac []byte
	if known && a.cacheTTL > 0 {
		mac = a.passwordMAC(password)
		if a.cacheHit(name, hash, mac) {
			a.users.reset(name)
			a.log.Debug("authenticated", "user", name, "remote", remote, "cached", true)
			return nil
		}
	}

	ok, err := a.verify(hash, password)
	if err != nil {
		a.log.Error("stored password hash is unusable", "user", name, "err", err)
		ok, reason = false, "unusable stored hash"
	}
	if ok && known {
		if mac != nil {
			a.cachePut(name, hash, mac)
		}
		a.users.reset(name)
		a.log.Debug("authenticated", "user", name, "remote", remote, "cached", false)
		return nil
	}
	a.fail(ctx, user, name, reason, remote)
	return ErrFailed
}

// fail records a failure, logs it and waits the delay.
func (a *Authenticator) fail(ctx context.Context, given, name, reason string, remote netip.Addr) {
	now := a.now()
	var score float64
	if k := remoteKey(remote); k != "" {
		score = a.ips.add(k, now)
	}
	if name != "" {
		score = max(score, a.users.add(name, now))
	}
	score = max(score, 1)
	d := failureDelay(score, a.baseDelay, a.maxDelay)
	if len(given) > 2*MaxUserLen {
		given = given[:2*MaxUserLen] + "…"
	}
	a.log.Info("authentication failed", "user", given, "remote", remote, "reason", reason, "delay", d)
	a.sleep(ctx, d)
}

// passwordMAC returns HMAC-SHA256(cacheKey, password). The keyed hashes
// are pooled: setting up the HMAC's inner and outer pads costs more than
// hashing a password.
func (a *Authenticator) passwordMAC(password string) []byte {
	m, _ := a.macs.Get().(hash.Hash)
	if m == nil {
		m = hmac.New(sha256.New, a.cacheKey)
	}
	m.Reset()
	io.WriteString(m, password)
	mac := m.Sum(make([]byte, 0, sha256.Size))
	a.macs.Put(m)
	return mac
}

// cacheHit reports whether name has a live entry for hash and mac.
func (a *Authenticator) cacheHit(name, hash string, mac []byte) bool {
	a.mu.Lock()
	e, ok := a.cache[name]
	a.mu.Unlock()
	if !ok || e.storedHash != hash || !a.now().Before(e.expires) {
		return false
	}
	return hmac.Equal(e.mac, mac)
}

// cachePut remembers a successful login, evicting expired entries, then
// arbitrary ones, when the cache is full.
func (a *Authenticator) cachePut(name, hash string, mac []byte) {
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.cache[name]; !ok && len(a.cache) >= a.cacheSize {
		for k, e := range a.cache {
			if !now.Before(e.expires) {
				delete(a.cache, k)
			}
		}
		for k := range a.cache {
			if len(a.cache) < a.cacheSize {
				break
			}
			delete(a.cache, k)
		}
	}
	a.cache[name] = cacheEntry{storedHash: hash, mac: mac, expires: now.Add(a.cacheTTL)}
}
