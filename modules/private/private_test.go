package private

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"mellium.im/xmpp/jid"

	"github.com/meerkat-xmpp/meerkat/internal/servertest"
	"github.com/meerkat-xmpp/meerkat/module"
	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/stanza"
	"github.com/meerkat-xmpp/meerkat/storage"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// memPrivate is an in-memory storage.PrivateXML that can be made to fail.
type memPrivate struct {
	m   map[string]string // user@host ns → data
	err error
}

func (s *memPrivate) PrivateXML(_ context.Context, host, user, ns string) ([]byte, error) {
	if s.err != nil {
		return nil, s.err
	}
	v, ok := s.m[user+"@"+host+" "+ns]
	if !ok {
		return nil, storage.ErrNotFound
	}
	return []byte(v), nil
}

func (s *memPrivate) SetPrivateXML(_ context.Context, host, user, ns string, data []byte) error {
	if s.err != nil {
		return s.err
	}
	s.m[user+"@"+host+" "+ns] = string(data)
	return nil
}

func TestReserved(t *testing.T) {
	for ns, want := range map[string]bool{
		"jabber:iq:private": true, "jabber:x:data": true, "http://jabber.org/protocol/muc": true,
		"vcard-temp": true, "": true,
		"storage:bookmarks": false, "exodus:prefs": false, "https://jabber.org/x": false,
		"vcard-temp:x:update": false, "urn:xmpp:bookmarks:1": false,
	} {
		if got := Reserved(ns); got != want {
			t.Errorf("Reserved(%q) = %v, want %v", ns, got, want)
		}
	}
}

// TestHandle runs the handler directly over each case of XEP-0049.
func TestHandle(t *testing.T) {
	const (
		alice     = "alice@localhost"
		bookmarks = "<storage xmlns='storage:bookmarks'><conference jid='room@muc.localhost' autojoin='true'/></storage>"
		prefs     = "<exodus xmlns='exodus:prefs'><defaultnick>Hamlet</defaultnick></exodus>"
	)
	q := func(inner string) string { return "<query xmlns='jabber:iq:private'>" + inner + "</query>" }
	cases := []struct {
		name, from, typ, payload string
		storeErr                 error
		wantCond                 stanza.Condition
		wantXML                  string            // the result payload, "" for none
		wantStored               map[string]string // ns → data for alice afterwards
	}{
		{name: "get stored", from: alice + "/a", typ: "get", payload: q("<storage xmlns='storage:bookmarks'/>"),
			wantXML: q(bookmarks), wantStored: map[string]string{"storage:bookmarks": bookmarks}},
		{name: "get nothing stored", from: alice + "/a", typ: "get", payload: q("<exodus xmlns='exodus:prefs' x='1'><a/></exodus>"),
			wantXML: q("<exodus xmlns='exodus:prefs'/>"), wantStored: map[string]string{"storage:bookmarks": bookmarks}},
		{name: "set one", from: alice + "/a", typ: "set", payload: q(prefs),
			wantStored: map[string]string{"storage:bookmarks": bookmarks, "exodus:prefs": prefs}},
		{name: "set several namespaces and several of one", from: alice + "/a", typ: "set",
			payload: q(prefs + "<storage xmlns='storage:bookmarks'/>" + "<exodus xmlns='exodus:prefs'><x/></exodus>"),
			wantStored: map[string]string{
				"storage:bookmarks": "<storage xmlns='storage:bookmarks'/>",
				"exodus:prefs":      prefs + "<exodus xmlns='exodus:prefs'><x/></exodus>",
			}},
		{name: "someone else's", from: "bob@localhost/b", typ: "get", payload: q("<storage xmlns='storage:bookmarks'/>"),
			wantCond: stanza.Forbidden, wantStored: map[string]string{"storage:bookmarks": bookmarks}},
		{name: "set someone else's", from: "bob@localhost/b", typ: "set", payload: q(prefs),
			wantCond: stanza.Forbidden, wantStored: map[string]string{"storage:bookmarks": bookmarks}},
		{name: "empty query", from: alice + "/a", typ: "get", payload: q(""),
			wantCond: stanza.NotAcceptable, wantStored: map[string]string{"storage:bookmarks": bookmarks}},
		{name: "empty set", from: alice + "/a", typ: "set", payload: q(""),
			wantCond: stanza.NotAcceptable, wantStored: map[string]string{"storage:bookmarks": bookmarks}},
		{name: "reserved namespace", from: alice + "/a", typ: "set", payload: q(prefs + "<vCard xmlns='vcard-temp'><FN>H</FN></vCard>"),
			wantCond: stanza.NotAcceptable, wantStored: map[string]string{"storage:bookmarks": bookmarks}},
		{name: "jabber: namespace", from: alice + "/a", typ: "get", payload: q("<query xmlns='jabber:iq:roster'/>"),
			wantCond: stanza.NotAcceptable, wantStored: map[string]string{"storage:bookmarks": bookmarks}},
		{name: "get of two namespaces", from: alice + "/a", typ: "get", payload: q(prefs + "<storage xmlns='storage:bookmarks'/>"),
			wantCond: stanza.BadRequest, wantStored: map[string]string{"storage:bookmarks": bookmarks}},
		{name: "too large", from: alice + "/a", typ: "set",
			payload:  q("<a xmlns='big'>" + strings.Repeat("x", 600) + "</a><a xmlns='big'>" + strings.Repeat("y", 600) + "</a>"),
			wantCond: stanza.NotAcceptable, wantStored: map[string]string{"storage:bookmarks": bookmarks}},
		{name: "wrong element", from: alice + "/a", typ: "get", payload: "<private xmlns='jabber:iq:private'><a xmlns='b'/></private>",
			wantCond: stanza.BadRequest, wantStored: map[string]string{"storage:bookmarks": bookmarks}},
		{name: "storage failure", from: alice + "/a", typ: "set", payload: q(prefs), storeErr: errors.New("disk full")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := &memPrivate{m: map[string]string{alice + " storage:bookmarks": bookmarks}}
			m, err := New(Config{MaxBytes: 1024})
			if err != nil {
				t.Fatal(err)
			}
			m.store = st
			st.err = tc.storeErr
			payload, err := stream.DecodeElement([]byte(tc.payload), stream.Limits{}, stream.NSClient)
			if err != nil {
				t.Fatal(err)
			}
			iq := &router.IQ{From: jid.MustParse(tc.from), To: jid.MustParse(alice), Type: tc.typ, Payload: payload}
			res, err := m.handle(context.Background(), iq)
			var se *stanza.Error
			switch {
			case tc.storeErr != nil:
				if !errors.Is(err, tc.storeErr) || errors.As(err, &se) {
					t.Fatalf("err = %v, want the storage error", err)
				}
				return
			case tc.wantCond != "":
				if !errors.As(err, &se) || se.Condition != tc.wantCond {
					t.Fatalf("err = %v, want %s", err, tc.wantCond)
				}
			case err != nil:
				t.Fatalf("err = %v", err)
			}
			got := ""
			if res != nil {
				got = res.String()
			}
			if got != tc.wantXML {
				t.Errorf("result %s\nwant %s", got, tc.wantXML)
			}
			stored := map[string]string{}
			for k, v := range st.m {
				user, ns, _ := strings.Cut(k, " ")
				if user == alice {
					stored[ns] = v
				}
			}
			if !reflect.DeepEqual(stored, tc.wantStored) {
				t.Errorf("stored %v\nwant %v", stored, tc.wantStored)
			}
		})
	}
}

func TestStartWithoutPrivateStorage(t *testing.T) {
	m, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	h := module.NewHost(Name, module.Deps{Router: router.New(router.Options{Hosts: []string{"localhost"}}), Disco: module.NewDisco()})
	if err := m.Start(context.Background(), h); err == nil || !strings.Contains(err.Error(), "does not store private XML") {
		t.Fatalf("Start with no store = %v, want a clear error", err)
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"defaults", DefaultConfig(), true},
		{"minimum", Config{MaxBytes: 1024}, true},
		{"too small", Config{MaxBytes: 100}, false},
		{"negative", Config{MaxBytes: -1}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.cfg.Validate(); (err == nil) != tc.ok {
				t.Errorf("Validate() = %v, want ok=%v", err, tc.ok)
			}
			if _, err := New(tc.cfg); (err == nil) != tc.ok {
				t.Errorf("New() = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func TestConfigExamples(t *testing.T) {
	servertest.CheckConfigExamples(t, Name, DefaultConfig, nil)
}
