package auth

import (
	"crypto/x509"
	"sync"

	"github.com/meerkat-xmpp/meerkat/auth/scram"
)

// maxCachedCerts bounds the certificate cache; a server has one leaf per
// host, and the cache is simply emptied when full.
const maxCachedCerts = 64

// bindingData returns the channel binding data of type typ on ci, or an
// error when ci cannot provide it.
func (s *Server) bindingData(ci ConnInfo, typ string) ([]byte, error) {
	switch typ {
	case TLSExporter:
		return scram.ExporterBinding(ci.TLS)
	case TLSServerEndPoint:
		if !ci.encrypted() || len(ci.ServerCert) == 0 {
			return nil, scram.ErrBindingUnavailable
		}
		return s.certs.endPoint(ci.ServerCert)
	}
	return nil, scram.ErrBindingUnavailable
}

// certCache maps a certificate's DER to its tls-server-end-point data, so
// a login does not parse the certificate again. Certificates without a
// defined binding are cached as nil.
type certCache struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (c *certCache) endPoint(der []byte) ([]byte, error) {
	c.mu.Lock()
	data, ok := c.m[string(der)]
	c.mu.Unlock()
	if !ok {
		cert, err := x509.ParseCertificate(der)
		if err == nil {
			data, _ = scram.EndPointBinding(cert)
		}
		c.mu.Lock()
		if c.m == nil || len(c.m) >= maxCachedCerts {
			c.m = make(map[string][]byte)
		}
		c.m[string(der)] = data
		c.mu.Unlock()
	}
	if data == nil {
		return nil, scram.ErrBindingUnavailable
	}
	return data, nil
}
