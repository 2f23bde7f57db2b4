package auth

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"testing"
	"time"
)

func selfSigned(t *testing.T, alg x509.SignatureAlgorithm) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:       big.NewInt(1),
		Subject:            pkix.Name{CommonName: "localhost"},
		DNSNames:           []string{"localhost"},
		NotBefore:          time.Now().Add(-time.Hour),
		NotAfter:           time.Now().Add(time.Hour),
		SignatureAlgorithm: alg,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

func TestServerEndPoint(t *testing.T) {
	c256 := selfSigned(t, x509.ECDSAWithSHA256)
	want := sha256.Sum256(c256.Leaf.Raw)
	if got := ServerEndPoint(c256.Leaf); !bytes.Equal(got, want[:]) {
		t.Errorf("SHA-256 certificate: %x, want %x", got, want)
	}
	c384 := selfSigned(t, x509.ECDSAWithSHA384)
	want384 := sha512.Sum384(c384.Leaf.Raw)
	if got := ServerEndPoint(c384.Leaf); !bytes.Equal(got, want384[:]) {
		t.Errorf("SHA-384 certificate: %x, want %x", got, want384)
	}
	if got := ServerEndPoint(&x509.Certificate{SignatureAlgorithm: x509.PureEd25519}); got != nil {
		t.Errorf("Ed25519: %x, want nil", got)
	}
}

// handshake connects a client and a server over a pipe with TLS version v
// and returns both connection states.
func handshake(t *testing.T, cert tls.Certificate, v uint16) (server, client tls.ConnectionState) {
	t.Helper()
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	srv := tls.Server(a, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: v, MaxVersion: v})
	cli := tls.Client(b, &tls.Config{InsecureSkipVerify: true, MinVersion: v, MaxVersion: v})
	errc := make(chan error, 1)
	go func() { errc <- srv.Handshake() }()
	if err := cli.Handshake(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	return srv.ConnectionState(), cli.ConnectionState()
}

func TestTLSChannelBindings(t *testing.T) {
	cert := selfSigned(t, x509.ECDSAWithSHA256)
	s, c := handshake(t, cert, tls.VersionTLS13)
	cb := TLSChannelBindings(s, cert.Leaf)
	want, err := c.ExportKeyingMaterial("EXPORTER-Channel-Binding", nil, 32)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(cb[CBTLSExporter], want) || len(want) != 32 {
		t.Errorf("tls-exporter = %x, client computes %x", cb[CBTLSExporter], want)
	}
	if !bytes.Equal(cb[CBTLSServerEndPoint], ServerEndPoint(c.PeerCertificates[0])) {
		t.Error("tls-server-end-point differs from the client's view")
	}

	s, _ = handshake(t, cert, tls.VersionTLS12)
	cb = TLSChannelBindings(s, cert.Leaf)
	if _, ok := cb[CBTLSExporter]; ok {
		t.Error("tls-exporter offered on TLS 1.2")
	}
	if cb[CBTLSServerEndPoint] == nil {
		t.Error("no tls-server-end-point on TLS 1.2")
	}
	if cb := TLSChannelBindings(s, nil); cb != nil {
		t.Errorf("TLS 1.2 without leaf: %v, want nil", cb)
	}
}
