package private

import (
	"testing"

	"github.com/meerkat-xmpp/meerkat/internal/servertest"
)

func TestPrivateOverTheWire(t *testing.T) {
	m, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	ts := servertest.StartModules(t, m)
	alice := ts.Login(t, "alice", "")
	alice2 := ts.Login(t, "alice", "second")
	bob := ts.Login(t, "bob", "")

	const (
		bookmarks = "<storage xmlns='storage:bookmarks'><conference jid='room@muc.localhost' autojoin='true' name='Caf&#xe9; &amp; &lt;co&gt;'>" +
			"<nick>al</nick></conference></storage>"
		getBookmarks = "<query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'/></query>"
	)
	// Nothing stored: the element asked for comes back empty.
	q := servertest.CheckResult(t, servertest.Exchange(alice, "g0", "<iq type='get' id='g0'>"+getBookmarks+"</iq>"))
	if q.String() != getBookmarks {
		t.Fatalf("empty get %s, want %s", q, getBookmarks)
	}
	reply := servertest.Exchange(alice, "s1", "<iq type='set' id='s1'><query xmlns='jabber:iq:private'>"+bookmarks+"</query></iq>")
	if servertest.CheckResult(t, reply) != nil {
		t.Fatalf("set reply %s", reply)
	}
	// Another resource of the same user reads it back, addressed or not.
	for _, to := range []string{"", " to='alice@localhost'"} {
		q = servertest.CheckResult(t, servertest.Exchange(alice2, "g1", "<iq type='get' id='g1'"+to+">"+getBookmarks+"</iq>"))
		got := q.FirstChild()
		if got == nil || got.Space != "storage:bookmarks" || got.Child("storage:bookmarks", "conference").Attr("name") != "Café & <co>" {
			t.Fatalf("get%s returned %s", to, q)
		}
	}
	cases := []struct {
		name, iq, cond string
	}{
		{"read another user's", "<iq type='get' id='e' to='alice@localhost'>" + getBookmarks + "</iq>", "forbidden"},
		{"write another user's", "<iq type='set' id='e' to='alice@localhost'><query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'/></query></iq>", "forbidden"},
		{"reserved namespace", "<iq type='set' id='e'><query xmlns='jabber:iq:private'><vCard xmlns='vcard-temp'/></query></iq>", "not-acceptable"},
		{"empty query", "<iq type='get' id='e'><query xmlns='jabber:iq:private'/></iq>", "not-acceptable"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			servertest.CheckError(t, servertest.Exchange(bob, "e", tc.iq), tc.cond)
		})
	}
	// Bob's own storage is separate from Alice's.
	q = servertest.CheckResult(t, servertest.Exchange(bob, "g2", "<iq type='get' id='g2'>"+getBookmarks+"</iq>"))
	if q.String() != getBookmarks {
		t.Errorf("bob sees %s", q)
	}
}
