package mob

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/meerkat-xmpp/meerkat/auth/scram"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// Namespaces mob speaks beyond the core ones.
const (
	NSMob      = "urn:meerkat:mob" // the timestamp child of test messages
	NSDelay    = "urn:xmpp:delay"  // XEP-0203
	NSPing     = "urn:xmpp:ping"   // XEP-0199
	NSRegister = "jabber:iq:register"
)

// Mechanisms lists the SASL mechanisms mob can use.
var Mechanisms = []string{"PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-512"}

// Account is who a session logs in as.
type Account struct {
	User, Domain, Password, Resource string
}

// JID returns the bare JID.
func (a Account) JID() string { return a.User + "@" + a.Domain }

// Login parameters shared by every session of a run.
type loginParams struct {
	transport Transport
	mode      TLSMode
	mech      string
	cache     *scram.SaltedPasswordCache
	timeout   time.Duration
	presence  bool // send initial presence and wait for its echo
}

// Session is one logged-in client stream.
type Session struct {
	Acct Account
	JID  string // the bound full JID
	conn Conn
}

// ErrAuth is a SASL failure; the condition follows.
var ErrAuth = errors.New("authentication failed")

// login connects, secures, authenticates and binds; with presence it also
// sends initial presence and waits for the server's echo of it.
func login(ctx context.Context, p *loginParams, a Account) (*Session, error) {
	conn, err := p.transport.Dial(ctx)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	s := &Session{Acct: a, conn: conn}
	// The whole exchange is bounded by the deadline, or the context.
	deadline := time.Now().Add(p.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	conn.SetReadDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if err := s.handshake(p); err != nil {
		conn.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	conn.SetReadDeadline(time.Time{})
	return s, nil
}

func (s *Session) handshake(p *loginParams) error {
	c := s.conn
	f, err := c.Open(s.Acct.Domain)
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	if p.mode == TLSStartTLS && !c.Encrypted() {
		if f.Child(stream.NSTLS, "starttls") == nil {
			return errors.New("starttls: not offered")
		}
		if err := c.Write([]byte("<starttls xmlns='" + stream.NSTLS + "'/>")); err != nil {
			return err
		}
		el, err := c.Next()
		if err != nil {
			return fmt.Errorf("starttls: %w", err)
		}
		if !el.Is(stream.NSTLS, "proceed") {
			return fmt.Errorf("starttls: got <%s/>", el.Local)
		}
		if err := c.StartTLS(); err != nil {
			return err
		}
		if f, err = c.Open(s.Acct.Domain); err != nil {
			return fmt.Errorf("open after tls: %w", err)
		}
	}
	if err := s.auth(p, f); err != nil {
		return err
	}
	if f, err = c.Open(s.Acct.Domain); err != nil {
		return fmt.Errorf("open after sasl: %w", err)
	}
	if err := s.bind(f); err != nil {
		return err
	}
	if p.presence {
		return s.initialPresence()
	}
	return nil
}

func offered(f *stream.Element, mech string) bool {
	for m := range f.Child(stream.NSSASL, "mechanisms").Elements() {
		if m.Local == "mechanism" && m.Text() == mech {
			return true
		}
	}
	return false
}

func (s *Session) auth(p *loginParams, f *stream.Element) error {
	if !offered(f, p.mech) {
		return fmt.Errorf("%w: %s not offered", ErrAuth, p.mech)
	}
	c := s.conn
	var buf []byte
	buf = append(buf, "<auth xmlns='"+stream.NSSASL+"' mechanism='"+p.mech+"'>"...)
	if p.mech == "PLAIN" {
		buf = base64.StdEncoding.AppendEncode(buf, []byte("\x00"+s.Acct.User+"\x00"+s.Acct.Password))
		buf = append(buf, "</auth>"...)
		if err := c.Write(buf); err != nil {
			return err
		}
		_, err := s.saslOutcome()
		return err
	}
	hash, ok := strings.CutPrefix(p.mech, "SCRAM-")
	if !ok {
		return fmt.Errorf("mechanism %s is not supported", p.mech)
	}
	sc, err := scram.NewClient(scram.ClientConfig{Hash: hash, Username: s.Acct.User, Password: s.Acct.Password, Cache: p.cache})
	if err != nil {
		return err
	}
	buf = base64.StdEncoding.AppendEncode(buf, sc.First())
	buf = append(buf, "</auth>"...)
	if err := c.Write(buf); err != nil {
		return err
	}
	el, err := c.Next()
	if err != nil {
		return err
	}
	if !el.Is(stream.NSSASL, "challenge") {
		return saslFailure(el)
	}
	sf, err := base64.StdEncoding.DecodeString(el.Text())
	if err != nil {
		return fmt.Errorf("sasl challenge: %w", err)
	}
	final, err := sc.Final(sf)
	if err != nil {
		return err
	}
	buf = append(buf[:0], "<response xmlns='"+stream.NSSASL+"'>"...)
	buf = base64.StdEncoding.AppendEncode(buf, final)
	buf = append(buf, "</response>"...)
	if err := c.Write(buf); err != nil {
		return err
	}
	add, err := s.saslOutcome()
	if err != nil {
		return err
	}
	return sc.Verify(add)
}

func (s *Session) saslOutcome() ([]byte, error) {
	el, err := s.conn.Next()
	if err != nil {
		return nil, err
	}
	if !el.Is(stream.NSSASL, "success") {
		return nil, saslFailure(el)
	}
	return base64.StdEncoding.DecodeString(el.Text())
}

func saslFailure(el *stream.Element) error {
	if el.Is(stream.NSSASL, "failure") {
		if f := el.FirstChild(); f != nil {
			return fmt.Errorf("%w: %s", ErrAuth, f.Local)
		}
	}
	return fmt.Errorf("%w: unexpected <%s/>", ErrAuth, el.Local)
}

func (s *Session) bind(f *stream.Element) error {
	var buf []byte
	buf = append(buf, "<iq xmlns='jabber:client' type='set' id='bind'><bind xmlns='"+stream.NSBind+"'>"...)
	if s.Acct.Resource != "" {
		buf = append(buf, "<resource>"...)
		buf = stream.EscapeText(buf, s.Acct.Resource)
		buf = append(buf, "</resource>"...)
	}
	buf = append(buf, "</bind></iq>"...)
	// RFC 3921 sessions: only servers that still require them (no
	// <optional/>) get the extra round trip.
	sess := f.Child(stream.NSSession, "session")
	needSession := sess != nil && sess.Child(stream.NSSession, "optional") == nil
	if err := s.conn.Write(buf); err != nil {
		return err
	}
	if needSession { // a separate write: WebSocket frames hold one element each
		if err := s.conn.Write([]byte("<iq xmlns='jabber:client' type='set' id='sess'><session xmlns='" + stream.NSSession + "'/></iq>")); err != nil {
			return err
		}
	}
	el, err := s.expectIQ("bind")
	if err != nil {
		return fmt.Errorf("bind: %w", err)
	}
	s.JID = strings.Clone(el.Child(stream.NSBind, "bind").ChildText(stream.NSBind, "jid"))
	if s.JID == "" {
		return errors.New("bind: no jid in the result")
	}
	if needSession {
		if _, err := s.expectIQ("sess"); err != nil {
			return fmt.Errorf("session: %w", err)
		}
	}
	return nil
}

// expectIQ reads until the reply to the IQ with id, skipping anything else.
func (s *Session) expectIQ(id string) (*stream.Element, error) {
	for {
		el, err := s.conn.Next()
		if err != nil {
			return nil, err
		}
		if el.Local != "iq" || el.Attr("id") != id {
			continue
		}
		if el.Attr("type") != "result" {
			return el, stanzaError(el)
		}
		return el, nil
	}
}

// StanzaError is an error reply, with its defined condition.
type StanzaError struct{ Condition string }

func (e *StanzaError) Error() string { return "stanza error: " + e.Condition }

func stanzaError(el *stream.Element) error {
	for c := range el.Child(el.Space, "error").Elements() {
		if c.Space == stream.NSStanzaErr && c.Local != "text" {
			return &StanzaError{Condition: c.Local}
		}
	}
	return &StanzaError{Condition: "undefined-condition"}
}

func (s *Session) initialPresence() error {
	if err := s.conn.Write([]byte("<presence xmlns='jabber:client'/>")); err != nil {
		return err
	}
	for {
		el, err := s.conn.Next()
		if err != nil {
			return fmt.Errorf("presence: %w", err)
		}
		if el.Local == "presence" && el.Attr("from") == s.JID {
			if el.Attr("type") == "error" {
				return fmt.Errorf("presence: %w", stanzaError(el))
			}
			return nil
		}
	}
}

// Handler is told about every stanza a session receives once logged in,
// with the time it was read, except the IQs mob answers itself (pings).
type Handler func(s *Session, el *stream.Element, now time.Time)

// serve reads until the stream ends, answering pings and refusing other
// requests, and passes everything else to h. It returns the reason the
// stream ended (nil when closed by us).
func (s *Session) serve(h Handler, closing func() bool) error {
	var buf []byte
	for {
		el, err := s.conn.Next()
		if err != nil {
			if closing() {
				return nil
			}
			return err
		}
		if el.Local == "iq" {
			if t := el.Attr("type"); t == "get" || t == "set" {
				buf = s.answerIQ(buf[:0], el)
				if err := s.conn.Write(buf); err != nil && !closing() {
					return err
				}
				continue
			}
		}
		if h != nil {
			h(s, el, time.Now())
		}
	}
}

// answerIQ answers a ping (XEP-0199), and any other request with
// service-unavailable, as a client that supports nothing else would.
func (s *Session) answerIQ(buf []byte, el *stream.Element) []byte {
	buf = append(buf, "<iq xmlns='jabber:client' type='"...)
	ping := el.Child(NSPing, "ping") != nil
	if ping {
		buf = append(buf, "result"...)
	} else {
		buf = append(buf, "error"...)
	}
	buf = append(buf, "' id='"...)
	buf = stream.EscapeAttr(buf, el.Attr("id"))
	if from := el.Attr("from"); from != "" {
		buf = append(buf, "' to='"...)
		buf = stream.EscapeAttr(buf, from)
	}
	if ping {
		return append(buf, "'/>"...)
	}
	return append(buf, "'><error type='cancel'><service-unavailable xmlns='"+stream.NSStanzaErr+"'/></error></iq>"...)
}

// Write sends raw XML.
func (s *Session) Write(b []byte) error { return s.conn.Write(b) }

// Close ends the stream and the connection.
func (s *Session) Close() error { return s.conn.Close() }

// stamp parses the <mob/> child of a test message: its send time and
// sequence number. ok is false for anything else, and for a message
// carrying <delay/> (history, offline storage), which is not timed.
func stamp(el *stream.Element) (sent time.Time, seq uint64, ok bool) {
	var m *stream.Element
	for c := range el.Elements() {
		switch {
		case c.Space == NSDelay && c.Local == "delay":
			return time.Time{}, 0, false
		case c.Space == NSMob && c.Local == "mob":
			m = c
		}
	}
	if m == nil {
		return time.Time{}, 0, false
	}
	ns, err1 := strconv.ParseInt(m.Attr("t"), 10, 64)
	seq, err2 := strconv.ParseUint(m.Attr("seq"), 10, 64)
	if err1 != nil || err2 != nil {
		return time.Time{}, 0, false
	}
	return time.Unix(0, ns), seq, true
}
