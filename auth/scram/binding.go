package scram

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"errors"
)

// Channel binding types a -PLUS mechanism can name in its GS2 header.
const (
	// TLSExporter is RFC 9266: keying material exported with the label
	// "EXPORTER-Channel-Binding", no context, 32 bytes.
	TLSExporter = "tls-exporter"
	// TLSServerEndPoint is RFC 5929 §4: a hash of the server's leaf
	// certificate.
	TLSServerEndPoint = "tls-server-end-point"
)

// exporterLabel and exporterLength are fixed by RFC 9266 §2.
const (
	exporterLabel  = "EXPORTER-Channel-Binding"
	exporterLength = 32
)

// ErrBindingUnavailable reports that a connection cannot provide the
// requested channel binding.
var ErrBindingUnavailable = errors.New("scram: channel binding unavailable")

// ExporterBinding returns the tls-exporter channel binding data of cs
// (RFC 9266). It is available after a completed TLS 1.3 handshake, and
// after TLS 1.2 only where crypto/tls allows exporting (the Extended Master
// Secret was negotiated, or GODEBUG tlsunsafeekm=1 is set).
func ExporterBinding(cs *tls.ConnectionState) (data []byte, err error) {
	if cs == nil || !cs.HandshakeComplete {
		return nil, ErrBindingUnavailable
	}
	if cs.Version != tls.VersionTLS13 && cs.Version != tls.VersionTLS12 {
		return nil, ErrBindingUnavailable
	}
	// A ConnectionState not produced by a handshake has no exporter and
	// ExportKeyingMaterial would call a nil func.
	defer func() {
		if recover() != nil {
			data, err = nil, ErrBindingUnavailable
		}
	}()
	data, err = cs.ExportKeyingMaterial(exporterLabel, nil, exporterLength)
	if err != nil {
		return nil, ErrBindingUnavailable
	}
	return data, nil
}

// EndPointHash returns the hash tls-server-end-point uses for a certificate
// signed with alg (RFC 5929 §4.1): the signature's own hash, except that MD5
// and SHA-1 are replaced by SHA-256. Signatures with no single hash
// (Ed25519) have no defined binding, and ok is false.
func EndPointHash(alg x509.SignatureAlgorithm) (h crypto.Hash, ok bool) {
	switch alg {
	case x509.MD5WithRSA, x509.SHA1WithRSA, x509.DSAWithSHA1, x509.ECDSAWithSHA1,
		x509.SHA256WithRSA, x509.SHA256WithRSAPSS, x509.DSAWithSHA256, x509.ECDSAWithSHA256:
		return crypto.SHA256, true
	case x509.SHA384WithRSA, x509.SHA384WithRSAPSS, x509.ECDSAWithSHA384:
		return crypto.SHA384, true
	case x509.SHA512WithRSA, x509.SHA512WithRSAPSS, x509.ECDSAWithSHA512:
		return crypto.SHA512, true
	}
	return 0, false
}

// EndPointBinding returns the tls-server-end-point channel binding data for
// the server's leaf certificate (RFC 5929 §4.1). A client takes the
// certificate from ConnectionState.PeerCertificates[0]; a server uses its
// own.
func EndPointBinding(cert *x509.Certificate) ([]byte, error) {
	if cert == nil {
		return nil, ErrBindingUnavailable
	}
	h, ok := EndPointHash(cert.SignatureAlgorithm)
	if !ok {
		return nil, ErrBindingUnavailable
	}
	d := h.New()
	d.Write(cert.Raw)
	return d.Sum(nil), nil
}

// ClientBinding returns the channel binding data of type typ as a client
// sees it on cs: the exporter of the connection for TLSExporter, the hash of
// the server's certificate (cs.PeerCertificates[0]) for TLSServerEndPoint.
func ClientBinding(cs *tls.ConnectionState, typ string) ([]byte, error) {
	switch typ {
	case TLSExporter:
		return ExporterBinding(cs)
	case TLSServerEndPoint:
		if cs == nil || !cs.HandshakeComplete || len(cs.PeerCertificates) == 0 {
			return nil, ErrBindingUnavailable
		}
		return EndPointBinding(cs.PeerCertificates[0])
	}
	return nil, ErrBindingUnavailable
}
