package vcard

import (
	"context"
	"errors"
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

// memVCards is an in-memory storage.VCards that can be made to fail.
type memVCards struct {
	m   map[string][]byte
	err error
}

func (s *memVCards) VCard(_ context.Context, host, user string) ([]byte, error) {
	if s.err != nil {
		return nil, s.err
	}
	v, ok := s.m[user+"@"+host]
	if !ok {
		return nil, storage.ErrNotFound
	}
	return v, nil
}

func (s *memVCards) SetVCard(_ context.Context, host, user string, v []byte) error {
	if s.err != nil {
		return s.err
	}
	s.m[user+"@"+host] = v
	return nil
}

func parse(t *testing.T, s string) *stream.Element {
	t.Helper()
	el, err := stream.DecodeElement([]byte(s), stream.Limits{}, stream.NSClient)
	if err != nil {
		t.Fatal(err)
	}
	return el
}

// TestHandle runs the handler directly over each case of XEP-0054.
func TestHandle(t *testing.T) {
	const stored = "<vCard xmlns='vcard-temp'><FN>Alice &amp; co</FN></vCard>"
	big := "<vCard xmlns='vcard-temp'><PHOTO><BINVAL>" + strings.Repeat("A", 2000) + "</BINVAL></PHOTO></vCard>"
	cases := []struct {
		name, from, to, typ, payload string
		storeErr                     error
		wantCond                     stanza.Condition // "" for success
		wantXML                      string           // the result payload, "" for none
		wantStored                   string           // alice's vCard after the call
	}{
		{name: "get own", from: "alice@localhost/a", to: "alice@localhost", typ: "get",
			payload: "<vCard xmlns='vcard-temp'/>", wantXML: stored, wantStored: stored},
		{name: "get another's", from: "bob@localhost/b", to: "alice@localhost", typ: "get",
			payload: "<vCard xmlns='vcard-temp'/>", wantXML: stored, wantStored: stored},
		{name: "get own, none stored", from: "carol@localhost/c", to: "carol@localhost", typ: "get",
			payload: "<vCard xmlns='vcard-temp'/>", wantXML: "<vCard xmlns='vcard-temp'/>", wantStored: stored},
		{name: "get another's, none stored", from: "bob@localhost/b", to: "carol@localhost", typ: "get",
			payload: "<vCard xmlns='vcard-temp'/>", wantCond: stanza.ItemNotFound, wantStored: stored},
		{name: "set own", from: "alice@localhost/a", to: "alice@localhost", typ: "set",
			payload:    "<vCard xmlns='vcard-temp'><NICKNAME>al</NICKNAME></vCard>",
			wantStored: "<vCard xmlns='vcard-temp'><NICKNAME>al</NICKNAME></vCard>"},
		{name: "set another's", from: "bob@localhost/b", to: "alice@localhost", typ: "set",
			payload: "<vCard xmlns='vcard-temp'><FN>Mallory</FN></vCard>", wantCond: stanza.Forbidden, wantStored: stored},
		{name: "set too large", from: "alice@localhost/a", to: "alice@localhost", typ: "set",
			payload: big, wantCond: stanza.NotAcceptable, wantStored: stored},
		{name: "wrong element", from: "alice@localhost/a", to: "alice@localhost", typ: "get",
			payload: "<vcard xmlns='vcard-temp'/>", wantCond: stanza.BadRequest, wantStored: stored},
		{name: "storage failure", from: "alice@localhost/a", to: "alice@localhost", typ: "get",
			payload: "<vCard xmlns='vcard-temp'/>", storeErr: errors.New("disk on fire"), wantStored: stored},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := &memVCards{m: map[string][]byte{"alice@localhost": []byte(stored)}}
			m, err := New(Config{MaxBytes: 1024})
			if err != nil {
				t.Fatal(err)
			}
			m.store = st
			st.err = tc.storeErr
			payload := parse(t, tc.payload)
			iq := &router.IQ{From: jid.MustParse(tc.from), To: jid.MustParse(tc.to), Type: tc.typ, Payload: payload}
			res, err := m.handle(context.Background(), iq)
			var se *stanza.Error
			switch {
			case tc.storeErr != nil:
				if err == nil || errors.As(err, &se) || !errors.Is(err, tc.storeErr) {
					t.Fatalf("err = %v, want the storage error (an internal-server-error)", err)
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
			if s := string(st.m["alice@localhost"]); s != tc.wantStored {
				t.Errorf("stored %s\nwant %s", s, tc.wantStored)
			}
		})
	}
}

func TestStartWithoutVCardStorage(t *testing.T) {
	m, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	h := module.NewHost(Name, module.Deps{Router: router.New(router.Options{Hosts: []string{"localhost"}}), Disco: module.NewDisco()})
	if err := m.Start(context.Background(), h); err == nil || !strings.Contains(err.Error(), "does not store vCards") {
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
		{"too small", Config{MaxBytes: 1023}, false},
		{"zero", Config{}, false},
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
