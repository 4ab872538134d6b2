package c2s_test

import (
	"context"
	"crypto/tls"
	"encoding/xml"
	"net"
	"testing"
	"time"

	"mellium.im/sasl"
	"mellium.im/xmlstream"
	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"

	"github.com/meerkat-xmpp/meerkat/internal/xmpptest"
)

// TestMelliumClient logs in with mellium.im/xmpp's client (a client nobody
// here wrote) over STARTTLS and SCRAM-SHA-256, and chats with our client.
func TestMelliumClient(t *testing.T) {
	ts := startServer(t, serverOpts{})
	b := ts.login(t, "bob", xmpptest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := net.Dial("tcp", ts.starttls)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	origin := jid.MustParse("alice@localhost")
	sess, err := xmpp.NewClientSession(ctx, origin, conn,
		xmpp.StartTLS(&tls.Config{InsecureSkipVerify: true, ServerName: "localhost"}),
		xmpp.SASL("", testPassword, sasl.ScramSha256),
		xmpp.BindResource(),
	)
	if err != nil {
		t.Fatalf("mellium login: %v", err)
	}
	defer sess.Close()
	got := make(chan string, 1)
	go sess.Serve(xmpp.HandlerFunc(func(tr xmlstream.TokenReadEncoder, start *xml.StartElement) error {
		if start.Name.Local != "message" {
			return nil
		}
		var m struct {
			stanza.Message
			Body string `xml:"body"`
		}
		if err := xml.NewTokenDecoder(xmlstream.MultiReader(xmlstream.Token(*start), tr)).Decode(&m); err != nil {
			return err
		}
		got <- m.From.String() + " " + m.Body
		return nil
	}))
	full := sess.LocalAddr().String()
	// mellium → ours
	err = sess.Encode(ctx, struct {
		stanza.Message
		Body string `xml:"body"`
	}{Message: stanza.Message{To: jid.MustParse(b.JID), Type: stanza.ChatMessage}, Body: "from mellium"})
	if err != nil {
		t.Fatal(err)
	}
	b.Expect(isMessageFrom(full, "from mellium"))
	// ours → mellium
	b.Send(msg(full, "to mellium"))
	select {
	case s := <-got:
		if s != b.JID+" to mellium" {
			t.Fatalf("mellium got %q", s)
		}
	case <-ctx.Done():
		t.Fatal("mellium client got no message")
	}
}
