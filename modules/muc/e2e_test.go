package muc_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/meerkat-xmpp/meerkat/internal/servertest"
	"github.com/meerkat-xmpp/meerkat/internal/testpg"
	"github.com/meerkat-xmpp/meerkat/internal/xmpptest"
	"github.com/meerkat-xmpp/meerkat/module"
	"github.com/meerkat-xmpp/meerkat/modules/disco"
	"github.com/meerkat-xmpp/meerkat/modules/muc"
	"github.com/meerkat-xmpp/meerkat/stream"
)

func TestServiceDiscovery(t *testing.T) {
	srv := servertest.StartModules(t, mustDisco(t), mustMUC(t, muc.DefaultConfig()))
	a := srv.Login(t, "alice", "pc")
	if !slices.ContainsFunc(srv.Disco.Items(), func(it module.Item) bool { return it.JID == svc }) {
		t.Fatalf("server disco items %v lack %s", srv.Disco.Items(), svc)
	}
	// The server's disco#items, as a client finds the service.
	si := servertest.CheckResult(t, servertest.Exchange(a, "d0", "<iq type='get' id='d0' to='localhost'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>"))
	if it := si.Child(muc.NSDiscoIt, "item"); it == nil || it.Attr("jid") != svc {
		t.Fatalf("server disco#items %s", si)
	}
	info := servertest.CheckResult(t, servertest.Exchange(a, "d2", "<iq type='get' id='d2' to='"+svc+"'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>"))
	if id := info.Child(muc.NSDiscoInf, "identity"); id.Attr("category") != "conference" || id.Attr("type") != "text" {
		t.Fatalf("service identity %s", info)
	}
	create(t, a, "lobby@"+svc, "Alice")
	configure(t, a, "lobby@"+svc, map[string]string{"muc#roomconfig_roomname": "The Lobby", "muc#roomconfig_roomdesc": "Come in"})
	create(t, a, "hidden@"+svc, "Alice")
	configure(t, a, "hidden@"+svc, map[string]string{"muc#roomconfig_publicroom": "0"})
	q := servertest.CheckResult(t, servertest.Exchange(a, "d3", "<iq type='get' id='d3' to='"+svc+"'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>"))
	var jids []string
	for it := range q.Elements() {
		jids = append(jids, it.Attr("jid")+"|"+it.Attr("name"))
	}
	if !slices.Equal(jids, []string{"lobby@" + svc + "|The Lobby"}) {
		t.Fatalf("public rooms %v", jids)
	}
	ri := servertest.CheckResult(t, servertest.Exchange(a, "d4", "<iq type='get' id='d4' to='lobby@"+svc+"'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>"))
	var feats []string
	for f := range ri.Elements() {
		if f.Local == "feature" {
			feats = append(feats, f.Attr("var"))
		}
	}
	for _, want := range []string{muc.NS, "muc_public", "muc_temporary", "muc_open", "muc_unmoderated", "muc_semianonymous", "muc_unsecured"} {
		if !slices.Contains(feats, want) {
			t.Errorf("room features %v lack %s", feats, want)
		}
	}
	form := ri.Child(muc.NSData, "x")
	found := false
	for f := range form.Elements() {
		if f.Attr("var") == "muc#roominfo_description" && f.ChildText(muc.NSData, "value") == "Come in" {
			found = true
		}
	}
	if !found {
		t.Fatalf("no XEP-0128 description in %s", ri)
	}
}

func TestJoinChatHistorySubject(t *testing.T) {
	srv := startMUC(t, muc.DefaultConfig())
	room := "chat@" + svc
	a := srv.Login(t, "alice", "pc")
	b := srv.Login(t, "bob", "pc")
	c := srv.Login(t, "carol", "pc")

	// A room locked until configured refuses others.
	a.Send("<presence to='" + room + "/Alice'><x xmlns='http://jabber.org/protocol/muc'/></presence>")
	self := a.Expect(selfPresence(room, "Alice"))
	if !hasCode(self, "201") || item(self).Attr("affiliation") != "owner" || item(self).Attr("role") != "moderator" {
		t.Fatalf("creator presence %s", self)
	}
	a.Expect(isSubject(room))
	b.Send("<presence to='" + room + "/Bob'><x xmlns='http://jabber.org/protocol/muc'/></presence>")
	servertest.CheckError(t, b.Expect(errorFrom(room+"/Bob")), "item-not-found")
	servertest.CheckResult(t, servertest.Exchange(a, "i", "<iq type='set' id='i' to='"+room+"'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'/></query></iq>"))

	self = join(t, b, room, "Bob", "")
	if item(self).Attr("role") != "participant" || item(self).Attr("affiliation") != "none" {
		t.Fatalf("bob's self presence %s", self)
	}
	// Alice (a moderator) sees Bob's real JID; in a semi-anonymous room
	// Carol will not.
	if p := a.Expect(presenceFrom(room, "Bob", "")); item(p).Attr("jid") != b.JID {
		t.Fatalf("alice sees %s", p)
	}
	// Subject, then messages into the history.
	a.Send("<message to='" + room + "' type='groupchat'><subject>Cats</subject></message>")
	for _, x := range []*stream.Element{a.Expect(isSubject(room)), b.Expect(isSubject(room))} {
		if x.ChildText(stream.NSClient, "subject") != "Cats" || x.Attr("from") != room+"/Alice" {
			t.Fatalf("subject %s", x)
		}
	}
	b.Send("<message to='" + room + "' type='groupchat'><subject>Dogs</subject></message>")
	servertest.CheckError(t, b.Expect(errorFrom(room)), "forbidden")
	for i, body := range []string{"one", "two", "three"} {
		b.Send("<message to='" + room + "' type='groupchat' id='m" + string(rune('0'+i)) + "'><body>" + body + "</body></message>")
		a.Expect(groupchat(room+"/Bob", body))
		if m := b.Expect(groupchat(room+"/Bob", body)); m.Attr("id") != "m"+string(rune('0'+i)) {
			t.Fatalf("reflection lost the id: %s", m)
		}
	}
	// Carol asks for the last two messages only.
	c.Send("<presence to='" + room + "/Carol'><x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='2'/></x></presence>")
	var got []string
	var order []string
	for {
		el := c.Expect(func(*stream.Element) bool { return true })
		switch {
		case el.Local == "presence":
			order = append(order, "presence")
			if el.Attr("from") == room+"/Alice" && item(el).Attr("jid") != "" {
				t.Fatalf("semi-anonymous room showed a JID to a participant: %s", el)
			}
		case el.Child(stream.NSClient, "body") != nil:
			order = append(order, "history")
			if el.Child("urn:xmpp:delay", "delay") == nil {
				t.Fatalf("history without delay: %s", el)
			}
			got = append(got, el.ChildText(stream.NSClient, "body"))
		case el.Child(stream.NSClient, "subject") != nil:
			order = append(order, "subject")
			if el.ChildText(stream.NSClient, "subject") != "Cats" {
				t.Fatalf("subject %s", el)
			}
		}
		if len(order) > 0 && order[len(order)-1] == "subject" {
			break
		}
	}
	if !slices.Equal(got, []string{"two", "three"}) {
		t.Fatalf("history %v", got)
	}
	if i := slices.Index(order, "history"); i < 0 || slices.Contains(order[i:], "presence") {
		t.Fatalf("join order %v: presences, then history, then subject", order)
	}
	// maxchars=0 means no history at all.
	d := srv.Login(t, "dave", "pc")
	d.Send("<presence to='" + room + "/Dave'><x xmlns='http://jabber.org/protocol/muc'><history maxchars='0'/></x></presence>")
	for {
		el := d.Expect(func(*stream.Element) bool { return true })
		if el.Child(stream.NSClient, "body") != nil {
			t.Fatalf("maxchars=0 got history %s", el)
		}
		if isSubject(room)(el) {
			break
		}
	}

	// seconds and since: everything said in the last minute, nothing
	// said before a moment in the future.
	for _, tc := range []struct {
		nick, history string
		want          int
	}{
		{"Sec", "<history seconds='60'/>", 3},
		{"Since", "<history since='2999-01-01T00:00:00Z'/>", 0},
		{"Both", "<history seconds='60' maxstanzas='1'/>", 1},
	} {
		e := srv.Login(t, "dave", tc.nick)
		e.Send("<presence to='" + room + "/" + tc.nick + "'><x xmlns='http://jabber.org/protocol/muc'>" + tc.history + "</x></presence>")
		n := 0
		for {
			el := e.Expect(func(*stream.Element) bool { return true })
			if el.Child(stream.NSClient, "body") != nil {
				n++
			}
			if isSubject(room)(el) {
				break
			}
		}
		if n != tc.want {
			t.Errorf("%s: %d history messages, want %d", tc.history, n, tc.want)
		}
		e.Close()
	}

	// Private messages between occupants.
	c.Send("<message to='" + room + "/Bob' type='chat' id='pm'><body>psst</body></message>")
	pm := b.Expect(func(el *stream.Element) bool { return el.Attr("id") == "pm" })
	if pm.Attr("from") != room+"/Carol" || pm.ChildText(stream.NSClient, "body") != "psst" || pm.Child(muc.NSUser, "x") == nil {
		t.Fatalf("private message %s", pm)
	}
	c.Send("<message to='" + room + "/Nobody' type='chat' id='pm2'><body>?</body></message>")
	servertest.CheckError(t, c.Expect(servertest.ID("pm2")), "item-not-found")
	// A non-occupant cannot talk.
	srv2 := srv.Login(t, "carol", "phone")
	srv2.Send("<message to='" + room + "' type='groupchat' id='x'><body>hi</body></message>")
	servertest.CheckError(t, srv2.Expect(servertest.ID("x")), "not-acceptable")

	// Nick change: unavailable with 303 and the new nick, then available.
	c.Send("<presence to='" + room + "/Caroline'/>")
	un := b.Expect(presenceFrom(room, "Carol", "unavailable"))
	if !hasCode(un, "303") || item(un).Attr("nick") != "Caroline" {
		t.Fatalf("nick change %s", un)
	}
	b.Expect(presenceFrom(room, "Caroline", ""))
	c.Expect(selfPresence(room, "Caroline"))
	// Nick conflict.
	d.Send("<presence to='" + room + "/Bob'/>")
	servertest.CheckError(t, d.Expect(errorFrom(room+"/Bob")), "conflict")

	// XEP-0410 self-ping.
	servertest.CheckResult(t, servertest.Exchange(b, "p1", "<iq type='get' id='p1' to='"+room+"/Bob'><ping xmlns='urn:xmpp:ping'/></iq>"))
	servertest.CheckError(t, servertest.Exchange(srv2, "p2", "<iq type='get' id='p2' to='"+room+"/Bob'><ping xmlns='urn:xmpp:ping'/></iq>"), "not-acceptable")

	// Leaving, and a session that disconnects without leaving.
	b.Send("<presence to='" + room + "/Bob' type='unavailable'><status>bye</status></presence>")
	if p := b.Expect(selfPresence(room, "Bob")); p.Attr("type") != "unavailable" {
		t.Fatalf("leave %s", p)
	}
	if p := a.Expect(presenceFrom(room, "Bob", "unavailable")); p.ChildText(stream.NSClient, "status") != "bye" {
		t.Fatalf("leave status %s", p)
	}
	d.Close()
	a.Expect(presenceFrom(room, "Dave", "unavailable"))
	servertest.CheckError(t, servertest.Exchange(a, "p3", "<iq type='get' id='p3' to='"+room+"/Dave'><ping xmlns='urn:xmpp:ping'/></iq>"), "item-not-found")
}

func TestEntryRules(t *testing.T) {
	srv := startMUC(t, muc.DefaultConfig())
	a := srv.Login(t, "alice", "pc")
	b := srv.Login(t, "bob", "pc")
	room := "club@" + svc
	create(t, a, room, "Alice")

	// No nick.
	b.Send("<presence to='" + room + "'><x xmlns='http://jabber.org/protocol/muc'/></presence>")
	servertest.CheckError(t, b.Expect(errorFrom(room)), "jid-malformed")

	// Password.
	configure(t, a, room, map[string]string{"muc#roomconfig_passwordprotectedroom": "1", "muc#roomconfig_roomsecret": "s3cret"})
	b.Send("<presence to='" + room + "/Bob'><x xmlns='http://jabber.org/protocol/muc'><password>nope</password></x></presence>")
	servertest.CheckError(t, b.Expect(errorFrom(room+"/Bob")), "not-authorized")
	join(t, b, room, "Bob", "<password>s3cret</password>")
	b.Send("<presence to='" + room + "/Bob' type='unavailable'/>")
	b.Expect(selfPresence(room, "Bob"))
	configure(t, a, room, map[string]string{"muc#roomconfig_passwordprotectedroom": "0"})

	// Members-only.
	configure(t, a, room, map[string]string{"muc#roomconfig_membersonly": "1"})
	b.Send("<presence to='" + room + "/Bob'><x xmlns='http://jabber.org/protocol/muc'/></presence>")
	servertest.CheckError(t, b.Expect(errorFrom(room+"/Bob")), "registration-required")
	servertest.CheckResult(t, servertest.Exchange(a, "m", "<iq type='set' id='m' to='"+room+"'><query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='member' jid='bob@localhost'/></query></iq>"))
	join(t, b, room, "Bob", "")
	list := servertest.CheckResult(t, servertest.Exchange(a, "l", "<iq type='get' id='l' to='"+room+"'><query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='member'/></query></iq>"))
	if it := list.Child(muc.NSAdmin, "item"); it == nil || it.Attr("jid") != "bob@localhost" {
		t.Fatalf("member list %s", list)
	}
	servertest.CheckError(t, servertest.Exchange(b, "l2", "<iq type='get' id='l2' to='"+room+"'><query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='member'/></query></iq>"), "forbidden")

	// Room full.
	configure(t, a, room, map[string]string{"muc#roomconfig_membersonly": "0", "muc#roomconfig_maxusers": "2"})
	c := srv.Login(t, "carol", "pc")
	c.Send("<presence to='" + room + "/Carol'><x xmlns='http://jabber.org/protocol/muc'/></presence>")
	servertest.CheckError(t, c.Expect(errorFrom(room+"/Carol")), "service-unavailable")

	// Kick, then ban; banned users cannot come back.
	servertest.CheckResult(t, servertest.Exchange(a, "k", "<iq type='set' id='k' to='"+room+"'><query xmlns='http://jabber.org/protocol/muc#admin'><item nick='Bob' role='none'><reason>calm down</reason></item></query></iq>"))
	k := b.Expect(selfPresence(room, "Bob"))
	if k.Attr("type") != "unavailable" || !hasCode(k, "307") || item(k).ChildText(muc.NSUser, "reason") != "calm down" {
		t.Fatalf("kick %s", k)
	}
	join(t, b, room, "Bob", "")
	// Bob, a member and participant, may not kick the owner.
	servertest.CheckError(t, servertest.Exchange(b, "k2", "<iq type='set' id='k2' to='"+room+"'><query xmlns='http://jabber.org/protocol/muc#admin'><item nick='Alice' role='none'/></query></iq>"), "forbidden")
	servertest.CheckResult(t, servertest.Exchange(a, "ban", "<iq type='set' id='ban' to='"+room+"'><query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='outcast' jid='bob@localhost'/></query></iq>"))
	if p := b.Expect(selfPresence(room, "Bob")); !hasCode(p, "301") {
		t.Fatalf("ban %s", p)
	}
	b.Send("<presence to='" + room + "/Bob'><x xmlns='http://jabber.org/protocol/muc'/></presence>")
	servertest.CheckError(t, b.Expect(errorFrom(room+"/Bob")), "forbidden")
	// The last owner cannot leave ownership.
	servertest.CheckError(t, servertest.Exchange(a, "own", "<iq type='set' id='own' to='"+room+"'><query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='admin' jid='alice@localhost'/></query></iq>"), "conflict")

	// Destroy with an alternate venue.
	join(t, c, room, "Carol", "")
	servertest.CheckResult(t, servertest.Exchange(a, "x", "<iq type='set' id='x' to='"+room+"'><query xmlns='http://jabber.org/protocol/muc#owner'><destroy jid='new@"+svc+"'><reason>moved</reason></destroy></query></iq>"))
	p := c.Expect(selfPresence(room, "Carol"))
	d := p.Child(muc.NSUser, "x").Child(muc.NSUser, "destroy")
	if p.Attr("type") != "unavailable" || d == nil || d.Attr("jid") != "new@"+svc || d.ChildText(muc.NSUser, "reason") != "moved" {
		t.Fatalf("destroy %s", p)
	}
	servertest.CheckError(t, servertest.Exchange(a, "gone", "<iq type='get' id='gone' to='"+room+"'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>"), "item-not-found")
}

func TestInvitesAndVoice(t *testing.T) {
	srv := startMUC(t, muc.DefaultConfig())
	a := srv.Login(t, "alice", "pc")
	b := srv.Login(t, "bob", "pc")
	a.Send("<presence/>")
	b.Send("<presence/>")
	// Bob must be available before the invitation to his bare JID is
	// routed, or it finds no available resource (a race seen under CI load).
	servertest.Sync(t, a, "a-ready")
	servertest.Sync(t, b, "b-ready")
	room := "stage@" + svc
	create(t, a, room, "Alice")
	configure(t, a, room, map[string]string{"muc#roomconfig_moderatedroom": "1"})

	a.Send("<message to='" + room + "'><x xmlns='http://jabber.org/protocol/muc#user'><invite to='bob@localhost'><reason>join us</reason></invite></x></message>")
	inv := b.Expect(func(el *stream.Element) bool { return el.Local == "message" && el.Attr("from") == room })
	i := inv.Child(muc.NSUser, "x").Child(muc.NSUser, "invite")
	if i == nil || i.Attr("from") != a.JID || i.ChildText(muc.NSUser, "reason") != "join us" {
		t.Fatalf("invite %s", inv)
	}
	b.Send("<message to='" + room + "'><x xmlns='http://jabber.org/protocol/muc#user'><decline to='alice@localhost'><reason>busy</reason></decline></x></message>")
	dec := a.Expect(func(el *stream.Element) bool { return el.Local == "message" && el.Attr("from") == room })
	if d := dec.Child(muc.NSUser, "x").Child(muc.NSUser, "decline"); d == nil || d.Attr("from") != "bob@localhost" {
		t.Fatalf("decline %s", dec)
	}
	// XEP-0249 direct invitations pass through untouched.
	a.Send("<message to='bob@localhost' id='direct'><x xmlns='jabber:x:conference' jid='" + room + "'/></message>")
	if di := b.Expect(servertest.ID("direct")); di.Child("jabber:x:conference", "x").Attr("jid") != room {
		t.Fatalf("direct invitation %s", di)
	}

	// In a moderated room Bob is a visitor: no voice, so he asks.
	self := join(t, b, room, "Bob", "")
	if item(self).Attr("role") != "visitor" {
		t.Fatalf("visitor %s", self)
	}
	b.Send("<message to='" + room + "' type='groupchat' id='v'><body>hello?</body></message>")
	servertest.CheckError(t, b.Expect(servertest.ID("v")), "forbidden")
	b.Send("<message to='" + room + "'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#request</value></field><field var='muc#role'><value>participant</value></field></x></message>")
	req := a.Expect(func(el *stream.Element) bool { return el.Local == "message" && el.Child(muc.NSData, "x") != nil })
	if req.Attr("from") != room {
		t.Fatalf("voice request %s", req)
	}
	// Alice approves through the form.
	a.Send("<message to='" + room + "'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#request</value></field><field var='muc#roomnick'><value>Bob</value></field><field var='muc#request_allow'><value>true</value></field></x></message>")
	if p := b.Expect(selfPresence(room, "Bob")); item(p).Attr("role") != "participant" {
		t.Fatalf("voice %s", p)
	}
	// Revoke it again through the admin namespace.
	servertest.CheckResult(t, servertest.Exchange(a, "rv", "<iq type='set' id='rv' to='"+room+"'><query xmlns='http://jabber.org/protocol/muc#admin'><item nick='Bob' role='visitor'/></query></iq>"))
	if p := b.Expect(selfPresence(room, "Bob")); item(p).Attr("role") != "visitor" {
		t.Fatalf("revoke %s", p)
	}
	// Moderator role granted by the owner.
	servertest.CheckResult(t, servertest.Exchange(a, "mod", "<iq type='set' id='mod' to='"+room+"'><query xmlns='http://jabber.org/protocol/muc#admin'><item nick='Bob' role='moderator'/></query></iq>"))
	if p := b.Expect(selfPresence(room, "Bob")); item(p).Attr("role") != "moderator" {
		t.Fatalf("moderator %s", p)
	}
}

func TestMultiSessionAndRegisteredNick(t *testing.T) {
	srv := startMUC(t, muc.DefaultConfig())
	a := srv.Login(t, "alice", "pc")
	room := "multi@" + svc
	create(t, a, room, "Alice")
	a2 := srv.Login(t, "alice", "phone")
	join(t, a2, room, "Alice", "")
	b := srv.Login(t, "bob", "pc")
	join(t, b, room, "Bob", "")
	b.Send("<message to='" + room + "' type='groupchat'><body>both</body></message>")
	a.Expect(groupchat(room+"/Bob", "both"))
	a2.Expect(groupchat(room+"/Bob", "both"))
	// One session leaving keeps the nick for the other.
	a2.Send("<presence to='" + room + "/Alice' type='unavailable'/>")
	a2.Expect(selfPresence(room, "Alice"))
	b.Send("<message to='" + room + "' type='groupchat'><body>still</body></message>")
	a.Expect(groupchat(room+"/Bob", "still"))

	// Bob registers a nick; Carol may not use it.
	form := servertest.CheckResult(t, servertest.Exchange(b, "r1", "<iq type='get' id='r1' to='"+room+"'><query xmlns='jabber:iq:register'/></iq>"))
	if form.Child(muc.NSData, "x") == nil {
		t.Fatalf("register form %s", form)
	}
	servertest.CheckResult(t, servertest.Exchange(b, "r2", "<iq type='set' id='r2' to='"+room+"'><query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#register</value></field><field var='muc#register_roomnick'><value>Bobby</value></field></x></query></iq>"))
	c := srv.Login(t, "carol", "pc")
	c.Send("<presence to='" + room + "/Bobby'><x xmlns='http://jabber.org/protocol/muc'/></presence>")
	servertest.CheckError(t, c.Expect(errorFrom(room+"/Bobby")), "conflict")
	got := servertest.CheckResult(t, servertest.Exchange(b, "r3", "<iq type='get' id='r3' to='"+room+"'><query xmlns='jabber:iq:register'/></iq>"))
	if got.Child(muc.NSRegister, "registered") == nil || got.ChildText(muc.NSRegister, "username") != "Bobby" {
		t.Fatalf("registered %s", got)
	}
}

func TestTemporaryRoomVanishes(t *testing.T) {
	srv := startMUC(t, muc.DefaultConfig())
	a := srv.Login(t, "alice", "pc")
	room := "tmp@" + svc
	create(t, a, room, "Alice")
	a.Send("<presence to='" + room + "/Alice' type='unavailable'/>")
	a.Expect(selfPresence(room, "Alice"))
	servertest.CheckError(t, servertest.Exchange(a, "g", "<iq type='get' id='g' to='"+room+"'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>"), "item-not-found")
}

func TestRoomCreationPolicy(t *testing.T) {
	cfg := muc.DefaultConfig()
	cfg.RoomCreation = muc.CreateAdmins
	cfg.Admins = []string{"alice@localhost"}
	srv := startMUC(t, cfg)
	b := srv.Login(t, "bob", "pc")
	b.Send("<presence to='new@" + svc + "/Bob'><x xmlns='http://jabber.org/protocol/muc'/></presence>")
	servertest.CheckError(t, b.Expect(errorFrom("new@"+svc+"/Bob")), "not-allowed")
	a := srv.Login(t, "alice", "pc")
	create(t, a, "new@"+svc, "Alice")
}

func TestRestartKeepsPersistentRooms(t *testing.T) {
	db := filepath.Join(t.TempDir(), "meerkat.db")
	srv := startMUCOn(t, muc.DefaultConfig(), db)
	a := srv.Login(t, "alice", "pc")
	room := "keep@" + svc
	create(t, a, room, "Alice")
	configure(t, a, room, map[string]string{"muc#roomconfig_persistentroom": "1", "muc#roomconfig_roomname": "Kept", "muc#roomconfig_membersonly": "1"})
	servertest.CheckResult(t, servertest.Exchange(a, "m", "<iq type='set' id='m' to='"+room+"'><query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='member' jid='bob@localhost'/><item affiliation='outcast' jid='carol@localhost'/></query></iq>"))
	a.Send("<message to='" + room + "' type='groupchat'><subject>Kept subject</subject></message>")
	a.Expect(isSubject(room))
	create(t, a, "temp@"+svc, "Alice")
	srv.Stop()

	srv = startMUCOn(t, muc.DefaultConfig(), db)
	b := srv.Login(t, "bob", "pc")
	b.Send("<presence to='" + room + "/Bob'><x xmlns='http://jabber.org/protocol/muc'/></presence>")
	b.Expect(selfPresence(room, "Bob"))
	if s := b.Expect(isSubject(room)); s.ChildText(stream.NSClient, "subject") != "Kept subject" {
		t.Fatalf("subject after restart %s", s)
	}
	c := srv.Login(t, "carol", "pc")
	c.Send("<presence to='" + room + "/Carol'><x xmlns='http://jabber.org/protocol/muc'/></presence>")
	servertest.CheckError(t, c.Expect(errorFrom(room+"/Carol")), "forbidden")
	a = srv.Login(t, "alice", "pc")
	if p := join(t, a, room, "Alice", ""); item(p).Attr("affiliation") != "owner" {
		t.Fatalf("owner after restart %s", p)
	}
	q := servertest.CheckResult(t, servertest.Exchange(a, "d", "<iq type='get' id='d' to='"+svc+"'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>"))
	if it := q.Child(muc.NSDiscoIt, "item"); it == nil || it.Attr("name") != "Kept" || q.ChildCount() != 1 {
		t.Fatalf("rooms after restart %s", q)
	}
}

// TestReconnectSameResource: a client that reconnects with the same
// resource (the old session replaced) and joins again gets a full join,
// and the old session's end does not take the new one out.
func TestReconnectSameResource(t *testing.T) {
	srv := startMUC(t, muc.DefaultConfig())
	room := "again@" + svc
	b := srv.Login(t, "bob", "pc")
	create(t, b, room, "Bob")
	a := srv.Login(t, "alice", "phone")
	join(t, a, room, "Alice", "")
	a2 := srv.Login(t, "alice", "phone") // replaces a
	join(t, a2, room, "Alice", "")
	b.Send("<message to='" + room + "' type='groupchat'><body>still there?</body></message>")
	a2.Expect(groupchat(room+"/Bob", "still there?"))
	servertest.CheckResult(t, servertest.Exchange(a2, "sp", "<iq type='get' id='sp' to='"+room+"/Alice'><ping xmlns='urn:xmpp:ping'/></iq>"))
}

// TestEscapedJIDs: occupants whose resources and nicks need escaping in
// attributes get well-formed stanzas from the pre-serialized fan-out.
func TestEscapedJIDs(t *testing.T) {
	srv := startMUC(t, muc.DefaultConfig())
	room := "esc@" + svc
	a := srv.Login(t, "alice", `o'neil &amp; &lt;co> "x"`) // escaped as text in <bind/>
	create(t, a, room, `A'&<>"`)
	b := srv.Login(t, "bob", "it's")
	join(t, b, room, "B&B", "")
	b.Send("<message to='" + room + "' type='groupchat'><body>a &amp; b &lt;3</body></message>")
	for _, c := range []*xmpptest.Client{a, b} {
		m := c.Expect(groupchat(room+"/B&B", "a & b <3"))
		if m.Attr("to") != c.JID {
			t.Fatalf("to %q, want %q", m.Attr("to"), c.JID)
		}
	}
}

func mustDisco(t *testing.T) *disco.Module {
	m, err := disco.New(disco.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func mustMUC(t *testing.T, cfg muc.Config) *muc.Module {
	m, err := muc.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestRestartKeepsHistory: a persistent room's discussion history, trimmed
// to its history length, survives a restart with its delay stamps; what
// was said before the room became persistent counts too, and a destroyed
// room's history does not come back with a new room of the same name.
func TestRestartKeepsHistory(t *testing.T) {
	for _, backend := range []struct {
		name string
		opts func(t *testing.T) servertest.Options
	}{
		{"sqlite", func(t *testing.T) servertest.Options {
			return servertest.Options{DB: filepath.Join(t.TempDir(), "meerkat.db")}
		}},
		{"postgres", func(t *testing.T) servertest.Options { return servertest.Options{PostgresDSN: testpg.DSN(t)} }},
	} {
		t.Run(backend.name, func(t *testing.T) {
			o := backend.opts(t)
			testRestartKeepsHistory(t, func() *servertest.Server { return startMUCWith(t, muc.DefaultConfig(), o) })
		})
	}
}

func testRestartKeepsHistory(t *testing.T, start func() *servertest.Server) {
	srv := start()
	a := srv.Login(t, "alice", "pc")
	room, gone := "kept@"+svc, "gone@"+svc
	create(t, a, room, "Alice")
	say := func(room string, bodies ...string) {
		t.Helper()
		for _, b := range bodies {
			a.Send("<message to='" + room + "' type='groupchat'><body>" + b + "</body></message>")
			a.Expect(groupchat(room+"/Alice", b))
		}
	}
	say(room, "before persistence")
	configure(t, a, room, map[string]string{"muc#roomconfig_persistentroom": "1", "muc#roomconfig_historylength": "4"})
	say(room, "one", "two", "three")
	create(t, a, gone, "Alice")
	configure(t, a, gone, map[string]string{"muc#roomconfig_persistentroom": "1"})
	say(gone, "old secret")
	servertest.CheckResult(t, servertest.Exchange(a, "x", "<iq type='set' id='x' to='"+gone+"'><query xmlns='http://jabber.org/protocol/muc#owner'><destroy/></query></iq>"))
	create(t, a, gone, "Alice")
	configure(t, a, gone, map[string]string{"muc#roomconfig_persistentroom": "1"})
	srv.Stop()

	srv = start()
	history := func(c *xmpptest.Client, room, nick string) (bodies []string) {
		t.Helper()
		c.Send("<presence to='" + room + "/" + nick + "'><x xmlns='http://jabber.org/protocol/muc'/></presence>")
		for {
			el := c.Expect(func(*stream.Element) bool { return true })
			if isSubject(room)(el) {
				return bodies
			}
			if el.Child(stream.NSClient, "body") == nil {
				continue
			}
			d := el.Child("urn:xmpp:delay", "delay")
			if d == nil || d.Attr("stamp") == "" || el.Attr("from") != room+"/Alice" || el.Attr("type") != "groupchat" {
				t.Fatalf("history message after restart %s", el)
			}
			bodies = append(bodies, el.ChildText(stream.NSClient, "body"))
		}
	}
	b := srv.Login(t, "bob", "pc")
	if got := history(b, room, "Bob"); !slices.Equal(got, []string{"before persistence", "one", "two", "three"}) {
		t.Fatalf("history after restart %v", got)
	}
	if got := history(b, gone, "Bob"); len(got) != 0 {
		t.Fatalf("a destroyed room's history came back: %v", got)
	}
	// The restored history goes on: a new message pushes the oldest out
	// (written by the flusher while running, or at the next stop).
	a = srv.Login(t, "alice", "pc")
	join(t, a, room, "Alice", "")
	say(room, "four")
	// The flusher writes it within a flush interval, without a stop.
	deadline := time.Now().Add(10 * time.Second)
	for {
		msgs, err := srv.Store.RoomHistory(t.Context(), svc, "kept")
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) == 4 && strings.Contains(string(msgs[3].Stanza), "four") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("history not flushed while running: %d messages", len(msgs))
		}
		time.Sleep(50 * time.Millisecond)
	}
	srv.Stop()
	srv = start()
	c := srv.Login(t, "carol", "pc")
	if got := history(c, room, "Carol"); !slices.Equal(got, []string{"one", "two", "three", "four"}) {
		t.Fatalf("history after a second restart %v", got)
	}
}
