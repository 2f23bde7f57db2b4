package auth

import (
	"crypto"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
)

// Channel-binding type names.
const (
	// CBTLSExporter is RFC 9266's binding: keying material exported
	// from the TLS 1.3 session.
	CBTLSExporter = "tls-exporter"
	// CBTLSServerEndPoint is RFC 5929 §4's binding: a hash of the
	// server's certificate.
	CBTLSServerEndPoint = "tls-server-end-point"
)

// RFC 9266 §2: the exporter label and length, with no context.
const (
	exporterLabel = "EXPORTER-Channel-Binding"
	exporterLen   = 32
)

// TLSChannelBindings returns the channel bindings of a server-side TLS
// connection whose handshake is complete. leaf is the certificate the
// server presented (ConnectionState does not carry it); nil omits
// tls-server-end-point.
//
// tls-exporter is offered on TLS 1.3 only: RFC 9266 §3 forbids it on
// TLS 1.2 without the extended master secret, and clients use
// tls-server-end-point there.
func TLSChannelBindings(cs tls.ConnectionState, leaf *x509.Certificate) ChannelBindings {
	cb := ChannelBindings{}
	if cs.Version >= tls.VersionTLS13 {
		if ekm, err := cs.ExportKeyingMaterial(exporterLabel, nil, exporterLen); err == nil {
			cb[CBTLSExporter] = ekm
		}
	}
	if leaf != nil {
		if h := ServerEndPoint(leaf); h != nil {
			cb[CBTLSServerEndPoint] = h
		}
	}
	if len(cb) == 0 {
		return nil
	}
	return cb
}

// ServerEndPoint returns the tls-server-end-point binding of cert: RFC
// 5929 §4.1: the hash of the DER certificate with the hash function of
// its signature algorithm, SHA-256 where that is MD5 or SHA-1. It returns
// nil when the signature algorithm has no single hash function (Ed25519),
// for which the binding is not defined.
func ServerEndPoint(cert *x509.Certificate) []byte {
	var h crypto.Hash
	switch cert.SignatureAlgorithm {
	case x509.MD5WithRSA, x509.SHA1WithRSA, x509.ECDSAWithSHA1, x509.DSAWithSHA1,
		x509.SHA256WithRSA, x509.SHA256WithRSAPSS, x509.ECDSAWithSHA256, x509.DSAWithSHA256:
		h = crypto.SHA256
	case x509.SHA384WithRSA, x509.SHA384WithRSAPSS, x509.ECDSAWithSHA384:
		h = crypto.SHA384
	case x509.SHA512WithRSA, x509.SHA512WithRSAPSS, x509.ECDSAWithSHA512:
		h = crypto.SHA512
	default:
		return nil
	}
	switch h {
	case crypto.SHA384:
		s := sha512.Sum384(cert.Raw)
		return s[:]
	case crypto.SHA512:
		s := sha512.Sum512(cert.Raw)
		return s[:]
	default:
		s := sha256.Sum256(cert.Raw)
		return s[:]
	}
}
