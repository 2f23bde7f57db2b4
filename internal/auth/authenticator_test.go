package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"petrel.dev/petrel/internal/store"
)

// fakeUsers is a lookup backed by a map.
type fakeUsers struct {
	mu     sync.Mutex
	hashes map[string]string
	err    error
}

func (f *fakeUsers) lookup(_ context.Context, user string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return "", f.err
	}
	h, ok := f.hashes[user]
	if !ok {
		return "", fmt.Errorf("user %q: %w", user, store.ErrNoUser)
	}
	return h, nil
}

func (f *fakeUsers) set(t *testing.T, user, password string) {
	t.Helper()
	h, err := hashWith(cheap, password)
	if err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	f.hashes[user] = h
	f.mu.Unlock()
}

// harness is an Authenticator with a fake clock, recorded sleeps and a
// counter of argon2 verifications.
type harness struct {
	*Authenticator
	users    *fakeUsers
	verifies atomic.Int64
	clock    time.Time
	sleeps   []time.Duration
	logs     *strings.Builder
}

func newHarness(t *testing.T, opts Options) *harness {
	t.Helper()
	h := &harness{users: &fakeUsers{hashes: map[string]string{}}, clock: time.Unix(1e9, 0), logs: &strings.Builder{}}
	opts.Logger = slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h.Authenticator = newWith(h.users.lookup, opts, cheap)
	h.now = func() time.Time { return h.clock }
	h.sleep = func(_ context.Context, d time.Duration) { h.sleeps = append(h.sleeps, d) }
	h.verify = func(hash, pw string) (bool, error) {
		h.verifies.Add(1)
		return VerifyPassword(hash, pw)
	}
	return h
}

var (
	ip1 = netip.MustParseAddr("192.0.2.1")
	ip2 = netip.MustParseAddr("192.0.2.2")
)

func TestAuthenticate(t *testing.T) {
	h := newHarness(t, Options{})
	h.users.set(t, "alice", "s3cret")
	ctx := context.Background()

	if err := h.Authenticate(ctx, "Alice", "s3cret", ip1); err != nil {
		t.Fatalf("right password: %v", err)
	}
	if err := h.Authenticate(ctx, "alice", "wrong", ip1); !errors.Is(err, ErrFailed) {
		t.Fatalf("wrong password: %v, want ErrFailed", err)
	}
	if err := h.Authenticate(ctx, "bob", "s3cret", ip1); !errors.Is(err, ErrFailed) {
		t.Fatalf("unknown user: %v, want ErrFailed", err)
	}
	if err := h.Authenticate(ctx, "../etc", "s3cret", ip1); !errors.Is(err, ErrFailed) {
		t.Fatalf("invalid name: %v, want ErrFailed", err)
	}
	if err := h.Authenticate(ctx, "alice", strings.Repeat("x", MaxPasswordLen+1), ip1); !errors.Is(err, ErrFailed) {
		t.Fatalf("long password: %v, want ErrFailed", err)
	}
	// Every path, including unknown and invalid users, ran argon2 once.
	if got := h.verifies.Load(); got != 5 {
		t.Errorf("argon2 verifications = %d, want 5", got)
	}
	if strings.Contains(h.logs.String(), "s3cret") || strings.Contains(h.logs.String(), "wrong") &&
		!strings.Contains(h.logs.String(), "wrong password") {
		t.Errorf("log mentions a password:\n%s", h.logs)
	}
	if !strings.Contains(h.logs.String(), "user=bob") || !strings.Contains(h.logs.String(), "remote=192.0.2.1") {
		t.Errorf("failure log lacks user or remote:\n%s", h.logs)
	}

	h.users.err = errors.New("database on fire")
	err := h.Authenticate(ctx, "alice", "s3cret", ip1)
	if err == nil || errors.Is(err, ErrFailed) {
		t.Fatalf("lookup error: got %v, want a non-ErrFailed error", err)
	}
}

func TestAuthenticateMalformedStoredHash(t *testing.T) {
	h := newHarness(t, Options{})
	h.users.hashes["alice"] = "plaintext"
	if err := h.Authenticate(context.Background(), "alice", "plaintext", ip1); !errors.Is(err, ErrFailed) {
		t.Fatalf("got %v, want ErrFailed", err)
	}
	if !strings.Contains(h.logs.String(), "unusable") {
		t.Errorf("no error logged for the bad hash:\n%s", h.logs)
	}
}

func TestCache(t *testing.T) {
	h := newHarness(t, Options{CacheTTL: time.Minute})
	h.users.set(t, "alice", "s3cret")
	ctx := context.Background()
	auth := func(pw string) error { return h.Authenticate(ctx, "alice", pw, ip1) }

	for i := range 3 {
		if err := auth("s3cret"); err != nil {
			t.Fatalf("login %d: %v", i, err)
		}
	}
	if got := h.verifies.Load(); got != 1 {
		t.Fatalf("3 logins ran argon2 %d times, want 1 (cache hits)", got)
	}
	// A wrong password is never answered from the cache.
	if err := auth("S3cret"); !errors.Is(err, ErrFailed) {
		t.Fatalf("wrong password after cached login: %v", err)
	}
	if got := h.verifies.Load(); got != 2 {
		t.Fatalf("verifications = %d, want 2", got)
	}
	// A password change (new stored hash) invalidates the entry at once.
	h.users.set(t, "alice", "n3w")
	if err := auth("s3cret"); !errors.Is(err, ErrFailed) {
		t.Fatalf("old password after change: %v, want ErrFailed", err)
	}
	if err := auth("n3w"); err != nil {
		t.Fatalf("new password: %v", err)
	}
	if err := auth("n3w"); err != nil {
		t.Fatalf("new password again: %v", err)
	}
	if got := h.verifies.Load(); got != 4 {
		t.Fatalf("verifications = %d, want 4", got)
	}
	// Entries expire.
	h.clock = h.clock.Add(time.Minute)
	if err := auth("n3w"); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	if got := h.verifies.Load(); got != 5 {
		t.Fatalf("verifications after expiry = %d, want 5", got)
	}
}

func TestCacheDisabledAndBounded(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, Options{CacheTTL: -1})
	h.users.set(t, "alice", "pw")
	for range 2 {
		if err := h.Authenticate(ctx, "alice", "pw", ip1); err != nil {
			t.Fatal(err)
		}
	}
	if got := h.verifies.Load(); got != 2 {
		t.Errorf("disabled cache: verifications = %d, want 2", got)
	}

	h = newHarness(t, Options{CacheSize: 3})
	for i := range 10 {
		name := fmt.Sprintf("u%d", i)
		h.users.set(t, name, "pw")
		if err := h.Authenticate(ctx, name, "pw", ip1); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(h.cache); n != 3 {
		t.Errorf("cache holds %d entries, want 3", n)
	}
}

func TestFailureDelays(t *testing.T) {
	h := newHarness(t, Options{BaseDelay: 500 * time.Millisecond, MaxDelay: 4 * time.Second})
	h.users.set(t, "alice", "pw")
	ctx := context.Background()
	for range 6 {
		if err := h.Authenticate(ctx, "alice", "bad", ip1); !errors.Is(err, ErrFailed) {
			t.Fatal(err)
		}
	}
	want := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second, 4 * time.Second}
	if fmt.Sprint(h.sleeps) != fmt.Sprint(want) {
		t.Fatalf("delays = %v, want %v", h.sleeps, want)
	}

	// Another address guessing the same user is slowed by the user's record.
	h.sleeps = nil
	_ = h.Authenticate(ctx, "alice", "bad", ip2)
	// And the first address is slowed when guessing another user.
	_ = h.Authenticate(ctx, "nobody", "bad", ip1)
	if len(h.sleeps) != 2 || h.sleeps[0] != 4*time.Second || h.sleeps[1] != 4*time.Second {
		t.Fatalf("cross delays = %v, want [4s 4s]", h.sleeps)
	}

	// Scores decay: after an hour of quiet, the delay is back to the base.
	h.clock = h.clock.Add(time.Hour)
	h.sleeps = nil
	_ = h.Authenticate(ctx, "alice", "bad", ip1)
	if h.sleeps[0] > 600*time.Millisecond {
		t.Fatalf("delay after an hour = %v, want about 500ms", h.sleeps[0])
	}

	// Success resets the user's record: a fresh address gets the base delay.
	if err := h.Authenticate(ctx, "alice", "pw", ip1); err != nil {
		t.Fatal(err)
	}
	h.sleeps = nil
	_ = h.Authenticate(ctx, "alice", "bad", netip.MustParseAddr("2001:db8::1"))
	if h.sleeps[0] != 500*time.Millisecond {
		t.Fatalf("delay after success = %v, want 500ms", h.sleeps[0])
	}
}

func TestFailureDelayDisabled(t *testing.T) {
	h := newHarness(t, Options{BaseDelay: -1})
	for range 3 {
		_ = h.Authenticate(context.Background(), "x", "y", ip1)
	}
	for _, d := range h.sleeps {
		if d != 0 {
			t.Fatalf("delays = %v, want zeros", h.sleeps)
		}
	}
}

func TestSleepCtxCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	sleepCtx(ctx, time.Hour)
	if time.Since(start) > time.Second {
		t.Fatal("sleepCtx ignored a cancelled context")
	}
}

func TestNewDefaults(t *testing.T) {
	a := newWith(nil, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, cheap)
	if a.baseDelay != DefaultBaseDelay || a.maxDelay != DefaultMaxDelay || a.cacheTTL != DefaultCacheTTL || a.cacheSize != DefaultCacheSize {
		t.Errorf("defaults not applied: %+v", a)
	}
	if ok, err := VerifyPassword(a.dummyHash, "x"); ok || err != nil {
		t.Errorf("dummy hash unusable: %v, %v", ok, err)
	}
}

func TestAuthenticateConcurrent(t *testing.T) {
	h := newHarness(t, Options{})
	h.users.set(t, "alice", "pw")
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			errs <- h.Authenticate(context.Background(), "alice", "pw", ip1)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestPasswordMAC(t *testing.T) {
	h := newHarness(t, Options{})
	want := func(pw string) []byte {
		m := hmac.New(sha256.New, h.cacheKey)
		m.Write([]byte(pw))
		return m.Sum(nil)
	}
	// Reused hashes must start afresh: every MAC equals a new HMAC's,
	// whatever was hashed before, also from several goroutines.
	pws := []string{"", "a", "s3cret", strings.Repeat("x", MaxPasswordLen), "a"}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				pw := pws[(i+g)%len(pws)]
				if got := h.passwordMAC(pw); !hmac.Equal(got, want(pw)) || len(got) != sha256.Size {
					t.Errorf("passwordMAC(%q) = %x, want %x", pw, got, want(pw))
					return
				}
			}
		}()
	}
	wg.Wait()
	other := newHarness(t, Options{})
	if hmac.Equal(other.passwordMAC("s3cret"), h.passwordMAC("s3cret")) {
		t.Error("two authenticators share a MAC key")
	}
}
