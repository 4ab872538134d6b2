package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/meerkat-xmpp/meerkat/auth/scram"
	"github.com/meerkat-xmpp/meerkat/storage"
)

const testHost = "example.com"

// memSource is an in-memory CredentialSource.
type memSource struct {
	mu    sync.Mutex
	users map[string]storage.Credentials
	err   error // returned for every lookup when set
}

func (m *memSource) Credentials(_ context.Context, host, username string) (storage.Credentials, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return storage.Credentials{}, m.err
	}
	c, ok := m.users[host+"\x00"+username]
	if !ok {
		return storage.Credentials{}, fmt.Errorf("mem: %s@%s: %w", username, host, storage.ErrNotFound)
	}
	return c, nil
}

func (m *memSource) add(host, username string, c storage.Credentials) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.users == nil {
		m.users = make(map[string]storage.Credentials)
	}
	m.users[host+"\x00"+username] = c
}

// testCreds caches derived credentials per password: PBKDF2 three times
// per test would dominate the run.
var testCreds sync.Map

func credsFor(t testing.TB, password string) storage.Credentials {
	t.Helper()
	if c, ok := testCreds.Load(password); ok {
		return c.(storage.Credentials)
	}
	c, err := DeriveCredentials(password, 0)
	if err != nil {
		t.Fatalf("DeriveCredentials: %v", err)
	}
	testCreds.Store(password, c)
	return c
}

// newTestServer has alice (password "wonderland") and bob ("builder").
func newTestServer(t testing.TB, cfg Config) (*Server, *memSource) {
	t.Helper()
	src := &memSource{}
	src.add(testHost, "alice", credsFor(t, "wonderland"))
	src.add(testHost, "bob", credsFor(t, "builder"))
	if cfg.FakeSaltSecret == nil {
		cfg.FakeSaltSecret = []byte("test secret")
	}
	return NewServer(cfg, src), src
}

// selfSigned makes a certificate for "localhost" with the given key and
// signature algorithm (0 lets crypto/x509 choose).
func selfSigned(t testing.TB, key crypto.Signer, alg x509.SignatureAlgorithm) tls.Certificate {
	t.Helper()
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber:       serial,
		Subject:            pkix.Name{CommonName: "localhost"},
		DNSNames:           []string{"localhost"},
		NotBefore:          time.Now().Add(-time.Hour),
		NotAfter:           time.Now().Add(time.Hour),
		KeyUsage:           x509.KeyUsageDigitalSignature,
		ExtKeyUsage:        []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		SignatureAlgorithm: alg,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatalf("CreateCertificate: %v", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("ParseCertificate: %v", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

func ecdsaCert(t testing.TB, curve elliptic.Curve, alg x509.SignatureAlgorithm) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return selfSigned(t, key, alg)
}

func ed25519Cert(t testing.TB) tls.Certificate {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return selfSigned(t, key, 0)
}

// tlsConn is both ends of one completed TLS handshake.
type tlsConn struct {
	server, client tls.ConnectionState
	cert           []byte // the server's leaf DER
}

// handshake runs a TLS handshake of the given version over net.Pipe with
// cert as the server's certificate, verified by the client.
func handshake(t testing.TB, version uint16, cert tls.Certificate) tlsConn {
	t.Helper()
	sc, cc := net.Pipe()
	t.Cleanup(func() { sc.Close(); cc.Close() })
	deadline := time.Now().Add(10 * time.Second)
	sc.SetDeadline(deadline)
	cc.SetDeadline(deadline)

	roots := x509.NewCertPool()
	roots.AddCert(cert.Leaf)
	srv := tls.Server(sc, &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   version,
		MaxVersion:   version,
	})
	cli := tls.Client(cc, &tls.Config{
		RootCAs:    roots,
		ServerName: "localhost",
		MinVersion: version,
		MaxVersion: version,
	})
	errc := make(chan error, 1)
	go func() { errc <- srv.Handshake() }()
	if err := cli.Handshake(); err != nil {
		t.Fatalf("client handshake: %v", err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("server handshake: %v", err)
	}
	return tlsConn{server: srv.ConnectionState(), client: cli.ConnectionState(), cert: cert.Certificate[0]}
}

// connInfo is what the c2s session would build for the server side.
func (c *tlsConn) connInfo() ConnInfo {
	return ConnInfo{Host: testHost, TLS: &c.server, ServerCert: c.cert}
}

// clientBinding computes the client's view of a binding type.
func (c *tlsConn) clientBinding(t testing.TB, typ string) []byte {
	t.Helper()
	data, err := scram.ClientBinding(&c.client, typ)
	if err != nil {
		t.Fatalf("client binding %s: %v", typ, err)
	}
	return data
}

// Shared TLS fixtures: one handshake per version with a P-256 certificate.
var (
	fixtureOnce     sync.Once
	fixtureTLS13    tlsConn
	fixtureTLS12    tlsConn
	fixtureCertP256 tls.Certificate
)

func fixtures(t testing.TB) (tls13, tls12 *tlsConn) {
	t.Helper()
	fixtureOnce.Do(func() {
		fixtureCertP256 = ecdsaCert(t, elliptic.P256(), 0)
		fixtureTLS13 = handshake(&noCleanup{t}, tls.VersionTLS13, fixtureCertP256)
		fixtureTLS12 = handshake(&noCleanup{t}, tls.VersionTLS12, fixtureCertP256)
	})
	if fixtureTLS13.cert == nil {
		t.Fatal("TLS fixtures failed earlier")
	}
	return &fixtureTLS13, &fixtureTLS12
}

// noCleanup lets a shared fixture outlive the test that built it: the
// pipes are dropped instead of closed; the ConnectionState stays usable.
type noCleanup struct{ testing.TB }

func (noCleanup) Cleanup(func()) {}

// asFailure returns err's *Failure or fails the test.
func asFailure(t testing.TB, err error) *Failure {
	t.Helper()
	var f *Failure
	if !errors.As(err, &f) {
		t.Fatalf("error %v (%T) is not a *Failure", err, err)
	}
	return f
}

// scramRun is the outcome of one client↔server SCRAM exchange.
type scramRun struct {
	serverFirst []byte
	stage       int // 1: failed at client-first, 2: at client-final, 3: done
	err         error
	username    string
}

// tamper may rewrite a client message before the server sees it; stage is
// 1 for client-first, 2 for client-final.
type tamper func(stage int, msg []byte) []byte

// runSCRAM drives a scram.Client against s. The client is expected to be
// happy with whatever the server sends; a client-side error fails the test.
func runSCRAM(t testing.TB, s *Server, ci ConnInfo, cfg scram.ClientConfig, tm tamper) scramRun {
	t.Helper()
	ctx := context.Background()
	c, err := scram.NewClient(cfg)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	ex, err := s.Start(c.Mechanism(), ci)
	if err != nil {
		t.Fatalf("Start(%s): %v", c.Mechanism(), err)
	}
	first := c.First()
	if tm != nil {
		first = tm(1, first)
	}
	out, done, err := ex.Step(ctx, first)
	if err != nil {
		asFailure(t, err)
		return scramRun{stage: 1, err: err}
	}
	if done {
		t.Fatal("done after client-first")
	}
	run := scramRun{serverFirst: append([]byte(nil), out...)}
	final, err := c.Final(out)
	if err != nil {
		t.Fatalf("client Final: %v", err)
	}
	if tm != nil {
		final = tm(2, final)
	}
	out, done, err = ex.Step(ctx, final)
	if err != nil {
		asFailure(t, err)
		run.stage, run.err = 2, err
		if ex.Username() != "" {
			t.Errorf("Username() = %q after a failure", ex.Username())
		}
		return run
	}
	if !done {
		t.Fatal("not done after client-final")
	}
	if err := c.Verify(out); err != nil {
		t.Fatalf("client Verify: %v", err)
	}
	run.stage, run.username = 3, ex.Username()
	// The exchange is over: a further step fails.
	if _, _, err := ex.Step(ctx, final); asFailure(t, err).Condition != MalformedRequest {
		t.Errorf("Step after done: %v", err)
	}
	return run
}
