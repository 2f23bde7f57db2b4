package certs

import (
	"context"
	"crypto/tls"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultPollInterval is how often Watch looks at the files' modification
// times.
const DefaultPollInterval = 5 * time.Second

// Reloader serves a certificate and key from files and replaces them,
// without touching established connections, when Reload is called (on
// SIGHUP) or when Watch sees the files change. New handshakes pick the
// current pair through tls.Config.GetCertificate; a pair that fails to
// load or does not match leaves the previous one in service.
type Reloader struct {
	certFile, keyFile string
	log               *slog.Logger

	cur atomic.Pointer[tls.Certificate] // never nil after NewReloader

	mu    sync.Mutex // serialises Reload; guards stamp
	stamp fileStamp  // of the pair in cur, as seen before loading it
}

// fileStamp identifies the versions of the two files.
type fileStamp struct {
	certMod, keyMod   time.Time
	certSize, keySize int64
}

func stampOf(certFile, keyFile string) (fileStamp, error) {
	c, err := os.Stat(certFile)
	if err != nil {
		return fileStamp{}, err
	}
	k, err := os.Stat(keyFile)
	if err != nil {
		return fileStamp{}, err
	}
	return fileStamp{certMod: c.ModTime(), keyMod: k.ModTime(), certSize: c.Size(), keySize: k.Size()}, nil
}

// NewReloader loads the pair and returns a Reloader serving it. A key
// that does not match the certificate gives an error wrapping
// ErrKeyMismatch. log may be nil (slog.Default()).
func NewReloader(certFile, keyFile string, log *slog.Logger) (*Reloader, error) {
	if log == nil {
		log = slog.Default()
	}
	r := &Reloader{certFile: certFile, keyFile: keyFile, log: log}
	st, _ := stampOf(certFile, keyFile) // a failure shows in loadPair
	pair, err := loadPair(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	r.cur.Store(&pair)
	r.stamp = st
	return r, nil
}

// Certificate returns the pair in service; its Leaf is set.
func (r *Reloader) Certificate() *tls.Certificate { return r.cur.Load() }

// GetCertificate is for tls.Config.GetCertificate.
func (r *Reloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return r.cur.Load(), nil
}

// TLSConfig returns a server configuration that serves the current pair,
// with TLS 1.2 as the minimum version (see Load).
func (r *Reloader) TLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: r.GetCertificate,
	}
}

// Reload reads the files again and puts the pair in service. On error
// the previous pair stays, and the error is logged and returned.
func (r *Reloader) Reload() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reloadLocked()
}

func (r *Reloader) reloadLocked() error {
	st, _ := stampOf(r.certFile, r.keyFile)
	pair, err := loadPair(r.certFile, r.keyFile)
	if err != nil {
		// Remember the stamp anyway so that Watch does not retry the
		// same broken files every tick; a further change is retried.
		r.stamp = st
		r.log.Error("TLS certificate reload failed; keeping the previous certificate",
			"cert", r.certFile, "key", r.keyFile, "err", err)
		return err
	}
	r.cur.Store(&pair)
	r.stamp = st
	r.log.Info("TLS certificate loaded", "cert", r.certFile, "subject", pair.Leaf.Subject.String(),
		"names", strings.Join(pair.Leaf.DNSNames, ","),
		"not_after", pair.Leaf.NotAfter.UTC().Format(time.RFC3339))
	return nil
}

// Watch polls the files every interval (DefaultPollInterval if <= 0)
// until ctx ends, and reloads when their modification time or size
// changes. Files that are missing for a moment (while being replaced)
// are waited for. A change made within the same modification-time tick
// as the previous load and of the same size goes unnoticed; SIGHUP
// (Reload) covers that case.
func (r *Reloader) Watch(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = DefaultPollInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		r.check()
	}
}

// check reloads if the files changed since the last load.
func (r *Reloader) check() {
	st, err := stampOf(r.certFile, r.keyFile)
	if err != nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if st == r.stamp {
		return
	}
	r.reloadLocked()
}
