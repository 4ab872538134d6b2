package muc_test

import (
	"testing"

	"github.com/meerkat-xmpp/meerkat/internal/servertest"
	"github.com/meerkat-xmpp/meerkat/internal/xmpptest"
	"github.com/meerkat-xmpp/meerkat/modules/muc"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// joinAs sends a join to room/asked and returns the first self-presence
// (status 110) or error that comes back, and, after a self-presence, waits
// for the subject that ends the join.
func joinAs(t *testing.T, c *xmpptest.Client, room, asked string) *stream.Element {
	t.Helper()
	c.Send("<presence to='" + attr(room+"/"+asked) + "'><x xmlns='http://jabber.org/protocol/muc'/></presence>")
	el := c.Expect(func(el *stream.Element) bool {
		return el.Local == "presence" && (el.Attr("type") == "error" || el.Child(muc.NSUser, "x") != nil && hasCode(el, "110"))
	})
	if el.Attr("type") != "error" {
		c.Expect(isSubject(room))
	}
	return el
}

// TestNickNormalization: the service applies the PRECIS Nickname profile
// (RFC 8266) to a requested nick; when the enforced form differs the
// joiner hears 210 from the rewritten occupant JID, nicks that differ
// only in case conflict, and a nick the profile refuses is jid-malformed.
func TestNickNormalization(t *testing.T) {
	srv := startMUC(t, muc.DefaultConfig())
	room := "nicks@" + svc
	owner := srv.Login(t, "alice", "pc")
	create(t, owner, room, "Alice")
	for _, tc := range []struct {
		name, user, asked string
		want              string // the nick the user enters under; "" for an error
		cond              string // the error condition when want is ""
	}{
		{"already enforced", "bob", "Bob", "Bob", ""},
		{"spaces collapsed and trimmed", "carol", "  Carol   Ann ", "Carol Ann", ""},
		{"width folded (NFKC)", "dave", "ＤＡＶＥ", "DAVE", ""},
		{"case-folded conflict", "bob", "alice", "", "conflict"},
		{"only spaces", "bob", "   ", "", "jid-malformed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := srv.Login(t, tc.user, "")
			el := joinAs(t, c, room, tc.asked)
			if tc.want == "" {
				servertest.CheckError(t, el, tc.cond)
				return
			}
			if el.Attr("type") == "error" {
				t.Fatalf("join as %q: %s", tc.asked, el)
			}
			if got := el.Attr("from"); got != room+"/"+tc.want {
				t.Fatalf("self-presence from %q, want %q", got, room+"/"+tc.want)
			}
			if rewritten := tc.want != tc.asked; hasCode(el, "210") != rewritten {
				t.Fatalf("210 = %v, want %v: %s", hasCode(el, "210"), rewritten, el)
			}
			// Everyone else sees the enforced nick too.
			owner.Expect(presenceFrom(room, tc.want, ""))
			c.Close()
			owner.Expect(presenceFrom(room, tc.want, "unavailable"))
		})
	}
}

// TestRegisteredNickEnforced: a user who registered a nick (XEP-0045
// §7.10) enters under it whatever nick it asks for (210), and cannot
// change away from it; with enforcement off the nick is only reserved.
func TestRegisteredNickEnforced(t *testing.T) {
	for _, tc := range []struct {
		name    string
		enforce bool
	}{
		{"enforced", true},
		{"reserved only", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := muc.DefaultConfig()
			cfg.EnforceRegisteredNicks = tc.enforce
			srv := startMUC(t, cfg)
			room := "reg@" + svc
			a := srv.Login(t, "alice", "pc")
			create(t, a, room, "Alice")
			b := srv.Login(t, "bob", "pc")
			servertest.CheckResult(t, servertest.Exchange(b, "r", "<iq type='set' id='r' to='"+room+"'><query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#register</value></field><field var='muc#register_roomnick'><value>Bobby</value></field></x></query></iq>"))
			self := joinAs(t, b, room, "Bob")
			switch {
			case tc.enforce && (self.Attr("from") != room+"/Bobby" || !hasCode(self, "210")):
				t.Fatalf("enforced join %s", self)
			case !tc.enforce && (self.Attr("from") != room+"/Bob" || hasCode(self, "210")):
				t.Fatalf("unenforced join %s", self)
			}
			b.Send("<presence to='" + room + "/Robert'/>")
			if tc.enforce {
				servertest.CheckError(t, b.Expect(errorFrom(room+"/Robert")), "not-acceptable")
			} else {
				b.Expect(selfPresence(room, "Robert"))
			}
			// Someone else still may not take the registered nick, in any case.
			c := srv.Login(t, "carol", "pc")
			servertest.CheckError(t, joinAs(t, c, room, "BOBBY"), "conflict")
		})
	}
}
