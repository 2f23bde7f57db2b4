// Package certs loads the server's TLS certificate and, when none is
// configured, generates and reuses a self-signed one; a Reloader replaces
// the certificate in service when its files change or on request.
package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// File names of the generated certificate and key inside the directory.
const (
	SelfSignedCert = "selfsigned-cert.pem"
	SelfSignedKey  = "selfsigned-key.pem"
)

const (
	validity = 365 * 24 * time.Hour
	// renewBefore: a generated certificate this close to expiry is replaced.
	renewBefore = 30 * 24 * time.Hour
	// maxPEM bounds the size of a certificate or key file.
	maxPEM = 1 << 20
)

// ErrKeyMismatch is returned by Load when the certificate's public key is
// not the private key's.
var ErrKeyMismatch = errors.New("certificate does not match private key")

// defaultHosts are in every generated certificate.
var defaultHosts = []string{"localhost", "127.0.0.1", "::1"}

// EnsureSelfSigned returns the paths of a self-signed certificate and its
// key in dir, valid for localhost, 127.0.0.1, ::1 and hosts (DNS names or
// IP addresses). An existing pair is reused when it loads, matches, covers
// all those names and has more than 30 days left; otherwise a new ECDSA
// P-256 pair valid for one year is written, with mode 0600.
func EnsureSelfSigned(dir string, hosts []string) (certFile, keyFile string, err error) {
	certFile = filepath.Join(dir, SelfSignedCert)
	keyFile = filepath.Join(dir, SelfSignedKey)
	all := append(slices.Clone(defaultHosts), hosts...)
	if reusable(certFile, keyFile, all, time.Now()) {
		return certFile, keyFile, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", fmt.Errorf("certs: %w", err)
	}
	certPEM, keyPEM, err := generate(all, time.Now())
	if err != nil {
		return "", "", err
	}
	// Write the key first: a crash in between leaves a certificate
	// that does not match, which the next start replaces.
	if err := writeFileAtomic(keyFile, keyPEM); err != nil {
		return "", "", err
	}
	if err := writeFileAtomic(certFile, certPEM); err != nil {
		return "", "", err
	}
	return certFile, keyFile, nil
}

// reusable reports whether the pair at certFile and keyFile is usable for
// hosts at now and beyond the renewal margin.
func reusable(certFile, keyFile string, hosts []string, now time.Time) bool {
	pair, err := loadPair(certFile, keyFile)
	if err != nil {
		return false
	}
	leaf := pair.Leaf
	if now.Before(leaf.NotBefore) || now.Add(renewBefore).After(leaf.NotAfter) {
		return false
	}
	for _, h := range hosts {
		if leaf.VerifyHostname(h) != nil {
			return false
		}
	}
	return true
}

// generate makes a self-signed ECDSA P-256 certificate for hosts.
func generate(hosts []string, now time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("certs: generate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, fmt.Errorf("certs: serial number: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{Organization: []string{"Petrel self-signed"}, CommonName: hosts[0]},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(validity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("certs: create certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("certs: marshal key: %w", err)
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	return certPEM, keyPEM, nil
}

// writeFileAtomic writes data to a temporary file with mode 0600 and
// renames it over path.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("certs: %w", err)
	}
	defer os.Remove(f.Name()) // fails harmlessly after the rename
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("certs: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("certs: write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("certs: sync %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("certs: close %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("certs: %w", err)
	}
	return nil
}

// Load reads a PEM certificate (chain) and private key and returns a
// server tls.Config using them, with TLS 1.2 as the minimum version (RFC
// 8314 §4.1 and RFC 9051 §11.1 ask for current TLS). A key that does not
// belong to the certificate gives an error wrapping ErrKeyMismatch.
func Load(certFile, keyFile string) (*tls.Config, error) {
	pair, err := loadPair(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{pair},
	}, nil
}

// loadPair reads and checks a certificate and key; pair.Leaf is set.
func loadPair(certFile, keyFile string) (tls.Certificate, error) {
	certPEM, err := readPEM(certFile)
	if err != nil {
		return tls.Certificate{}, err
	}
	keyPEM, err := readPEM(keyFile)
	if err != nil {
		return tls.Certificate{}, err
	}
	leaf, err := parseLeaf(certPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("certs: %s: %w", certFile, err)
	}
	key, err := parseKey(keyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("certs: %s: %w", keyFile, err)
	}
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(leaf.PublicKey) {
		return tls.Certificate{}, fmt.Errorf("certs: %s and %s: %w", certFile, keyFile, ErrKeyMismatch)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("certs: %s and %s: %w", certFile, keyFile, err)
	}
	pair.Leaf = leaf
	return pair, nil
}

func readPEM(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("certs: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxPEM+1))
	if err != nil {
		return nil, fmt.Errorf("certs: read %s: %w", path, err)
	}
	if len(data) > maxPEM {
		return nil, fmt.Errorf("certs: %s is larger than %d bytes", path, maxPEM)
	}
	return data, nil
}

// parseLeaf returns the first certificate in PEM data.
func parseLeaf(data []byte) (*x509.Certificate, error) {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return nil, errors.New("no PEM CERTIFICATE block")
		}
		if b.Type == "CERTIFICATE" {
			return x509.ParseCertificate(b.Bytes)
		}
	}
}

// parseKey returns the private key in PEM data (PKCS #8, SEC 1 or PKCS #1).
func parseKey(data []byte) (crypto.Signer, error) {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return nil, errors.New("no PEM private key block")
		}
		if !strings.HasSuffix(b.Type, "PRIVATE KEY") {
			continue
		}
		var k any
		var err error
		switch b.Type {
		case "EC PRIVATE KEY":
			k, err = x509.ParseECPrivateKey(b.Bytes)
		case "RSA PRIVATE KEY":
			k, err = x509.ParsePKCS1PrivateKey(b.Bytes)
		default:
			k, err = x509.ParsePKCS8PrivateKey(b.Bytes)
		}
		if err != nil {
			return nil, err
		}
		s, ok := k.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("unsupported private key type %T", k)
		}
		return s, nil
	}
}
