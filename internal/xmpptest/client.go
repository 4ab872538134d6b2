// Package xmpptest is a small XMPP client for tests: it speaks the wire
// protocol step by step (STARTTLS or direct TLS, any SASL mechanism Meerkat
// offers, bind) so a test can also misbehave on purpose.
package xmpptest

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/meerkat-xmpp/meerkat/auth/scram"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// Options say how to connect and log in.
type Options struct {
	Host     string // stream 'to'; default "localhost"
	User     string // localpart; empty: stop after the stream header
	Password string
	// Mech is a SASL mechanism name, e.g. "SCRAM-SHA-256-PLUS" or "PLAIN".
	Mech string
	// CB is the channel binding type for -PLUS mechanisms (default tls-exporter).
	CB string
	// Direct starts TLS at connect (XEP-0368); NoTLS skips STARTTLS.
	Direct, NoTLS bool
	Resource      string
	Timeout       time.Duration // per expected element; default 5s
}

// Client is one test connection.
type Client struct {
	t    testing.TB
	conn net.Conn
	dec  *stream.Decoder
	opts Options
	// JID is the bound full JID after a successful Login.
	JID string
	// Features are the last stream features received.
	Features *stream.Element
}

// Dial connects to addr and, if opts.User is set, logs in and binds.
func Dial(t testing.TB, addr string, opts Options) *Client {
	t.Helper()
	c, err := Connect(t, addr, opts)
	if err != nil {
		t.Fatalf("xmpptest: %v", err)
	}
	return c
}

// Connect is Dial returning the error instead of failing the test.
func Connect(t testing.TB, addr string, opts Options) (*Client, error) {
	if opts.Host == "" {
		opts.Host = "localhost"
	}
	if opts.Timeout == 0 {
		opts.Timeout = 5 * time.Second
	}
	conn, err := net.DialTimeout("tcp", addr, opts.Timeout)
	if err != nil {
		return nil, err
	}
	c := &Client{t: t, conn: conn, opts: opts}
	t.Cleanup(func() { c.conn.Close() })
	if opts.Direct {
		if err := c.tlsHandshake(); err != nil {
			return c, err
		}
	}
	c.dec = stream.NewDecoder(c.conn, stream.DefaultLimits())
	if opts.User == "" {
		return c, nil
	}
	return c, c.Login()
}

func (c *Client) tlsHandshake() error {
	tc := tls.Client(c.conn, &tls.Config{InsecureSkipVerify: true, ServerName: c.opts.Host})
	tc.SetDeadline(time.Now().Add(c.opts.Timeout))
	if err := tc.Handshake(); err != nil {
		return fmt.Errorf("tls handshake: %w", err)
	}
	tc.SetDeadline(time.Time{})
	c.conn = tc
	return nil
}

// Open sends a stream header and reads the server's header and features.
func (c *Client) Open() error {
	if err := c.SendRaw(fmt.Sprintf("<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='%s' version='1.0'>", c.opts.Host)); err != nil {
		return err
	}
	tok, err := c.Next()
	if err != nil {
		return err
	}
	if tok.Kind != stream.KindStreamStart {
		return fmt.Errorf("want stream header, got %v", tok.Kind)
	}
	f, err := c.NextElement()
	if err != nil {
		return err
	}
	if !f.Is(stream.NSStream, "features") {
		return fmt.Errorf("want features, got %s", f)
	}
	c.Features = f
	return nil
}

// Login runs STARTTLS (unless Direct/NoTLS), SASL and bind.
func (c *Client) Login() error {
	if err := c.Open(); err != nil {
		return err
	}
	if !c.opts.Direct && !c.opts.NoTLS {
		if err := c.StartTLS(); err != nil {
			return err
		}
	}
	if err := c.Auth(c.opts.Mech, c.opts.User, c.opts.Password); err != nil {
		return err
	}
	c.dec.Reset(c.conn)
	if err := c.Open(); err != nil {
		return err
	}
	res := "<resource/>"
	if c.opts.Resource != "" {
		res = "<resource>" + c.opts.Resource + "</resource>"
	}
	c.SendRaw("<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>" + res + "</bind></iq>")
	el, err := c.NextElement()
	if err != nil {
		return err
	}
	j := el.Child(stream.NSBind, "bind").ChildText(stream.NSBind, "jid")
	if el.Attr("type") != "result" || j == "" {
		return fmt.Errorf("bind: %s", el)
	}
	c.JID = j
	return nil
}

// StartTLS runs STARTTLS on an opened stream, then opens the new stream
// (for tests that act between TLS and SASL, such as XEP-0077 registration).
func (c *Client) StartTLS() error {
	c.SendRaw("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
	el, err := c.NextElement()
	if err != nil {
		return err
	}
	if !el.Is(stream.NSTLS, "proceed") {
		return fmt.Errorf("starttls: %s", el)
	}
	if err := c.tlsHandshake(); err != nil {
		return err
	}
	c.dec.Reset(c.conn)
	return c.Open()
}

// AuthError is a SASL <failure/>, carrying its condition.
type AuthError struct{ Condition string }

func (e *AuthError) Error() string { return "sasl failure: " + e.Condition }

// Auth runs one SASL exchange with mech.
func (c *Client) Auth(mech, user, password string) error {
	switch {
	case mech == "PLAIN":
		msg := "\x00" + user + "\x00" + password
		c.SendRaw("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" + base64.StdEncoding.EncodeToString([]byte(msg)) + "</auth>")
		return c.saslResult(nil)
	case mech == "ANONYMOUS":
		c.SendRaw("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='ANONYMOUS'>=</auth>")
		return c.saslResult(nil)
	case strings.HasPrefix(mech, "SCRAM-"):
		hash := strings.TrimSuffix(strings.TrimPrefix(mech, "SCRAM-"), "-PLUS")
		cfg := scram.ClientConfig{Hash: hash, Username: user, Password: password}
		if strings.HasSuffix(mech, "-PLUS") {
			tc, ok := c.conn.(*tls.Conn)
			if !ok {
				return errors.New("-PLUS needs TLS")
			}
			st := tc.ConnectionState()
			cfg.ChannelBinding = c.opts.CB
			if cfg.ChannelBinding == "" {
				cfg.ChannelBinding = scram.TLSExporter
			}
			var err error
			if cfg.ChannelBinding == scram.TLSExporter {
				cfg.ChannelBindingData, err = scram.ExporterBinding(&st)
			} else {
				var cert *x509.Certificate
				if len(st.PeerCertificates) > 0 {
					cert = st.PeerCertificates[0]
				}
				cfg.ChannelBindingData, err = scram.EndPointBinding(cert)
			}
			if err != nil {
				return err
			}
		}
		sc, err := scram.NewClient(cfg)
		if err != nil {
			return err
		}
		c.SendRaw("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='" + mech + "'>" + base64.StdEncoding.EncodeToString(sc.First()) + "</auth>")
		el, err := c.NextElement()
		if err != nil {
			return err
		}
		if el.Local != "challenge" {
			return saslFailure(el)
		}
		sf, err := base64.StdEncoding.DecodeString(el.Text())
		if err != nil {
			return err
		}
		final, err := sc.Final(sf)
		if err != nil {
			return err
		}
		c.SendRaw("<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" + base64.StdEncoding.EncodeToString(final) + "</response>")
		return c.saslResult(sc)
	}
	return fmt.Errorf("xmpptest: mechanism %q not supported", mech)
}

func (c *Client) saslResult(sc *scram.Client) error {
	el, err := c.NextElement()
	if err != nil {
		return err
	}
	if !el.Is(stream.NSSASL, "success") {
		return saslFailure(el)
	}
	if sc != nil {
		add, err := base64.StdEncoding.DecodeString(el.Text())
		if err != nil {
			return err
		}
		return sc.Verify(add)
	}
	return nil
}

func saslFailure(el *stream.Element) error {
	if el.Is(stream.NSSASL, "failure") {
		if f := el.FirstChild(); f != nil {
			return &AuthError{Condition: f.Local}
		}
	}
	return fmt.Errorf("unexpected SASL answer: %s", el)
}

// SendRaw writes s as is.
func (c *Client) SendRaw(s string) error {
	c.conn.SetWriteDeadline(time.Now().Add(c.opts.Timeout))
	_, err := c.conn.Write([]byte(s))
	return err
}

// Send writes s and fails the test on error.
func (c *Client) Send(s string) {
	c.t.Helper()
	if err := c.SendRaw(s); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

// Next reads the next token within the timeout.
func (c *Client) Next() (stream.Token, error) {
	c.conn.SetReadDeadline(time.Now().Add(c.opts.Timeout))
	return c.dec.Next()
}

// NextElement reads the next top-level element. A stream error comes back
// as *StreamError.
func (c *Client) NextElement() (*stream.Element, error) {
	tok, err := c.Next()
	if err != nil {
		return nil, err
	}
	switch tok.Kind {
	case stream.KindStreamStart:
		// A header after an error in our own header, or a restart: skip it.
		return c.NextElement()
	case stream.KindStanza:
		if tok.Elem.Is(stream.NSStream, "error") {
			return tok.Elem, &StreamError{Condition: tok.Elem.FirstChild().Local}
		}
		return tok.Elem, nil
	case stream.KindStreamEnd:
		return nil, ErrStreamEnd
	}
	return nil, fmt.Errorf("unexpected token %v", tok.Kind)
}

// ErrStreamEnd is returned when the server closed its stream.
var ErrStreamEnd = errors.New("stream closed")

// StreamError is a <stream:error/> received from the server.
type StreamError struct{ Condition string }

func (e *StreamError) Error() string { return "stream error: " + e.Condition }

// Expect reads elements until one satisfies match, failing the test on
// timeout or error. Elements that do not match are skipped.
func (c *Client) Expect(match func(*stream.Element) bool) *stream.Element {
	c.t.Helper()
	for {
		el, err := c.NextElement()
		if err != nil {
			c.t.Fatalf("expect: %v", err)
		}
		if match(el) {
			return el
		}
	}
}

// ExpectStreamError reads until a stream error and checks its condition.
func (c *Client) ExpectStreamError(cond string) {
	c.t.Helper()
	for {
		_, err := c.NextElement()
		var se *StreamError
		if errors.As(err, &se) {
			if se.Condition != cond {
				c.t.Fatalf("stream error %q, want %q", se.Condition, cond)
			}
			return
		}
		if err != nil {
			c.t.Fatalf("want stream error %q, got %v", cond, err)
		}
	}
}

// Close ends the stream and the connection.
func (c *Client) Close() {
	c.SendRaw("</stream:stream>")
	c.conn.Close()
}

// Conn exposes the connection for tests that misbehave at the byte level.
func (c *Client) Conn() net.Conn { return c.conn }
