package last

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"mellium.im/xmpp/jid"

	"github.com/meerkat-xmpp/meerkat/internal/servertest"
	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/storage"
	"github.com/meerkat-xmpp/meerkat/stream"
)

type record struct {
	at     time.Time
	status string
}

// memLast is an in-memory storage.LastActivity.
type memLast struct {
	mu sync.Mutex
	m  map[string]record
	n  int // writes
}

func (s *memLast) LastActivity(_ context.Context, host, user string) (time.Time, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.m[user+"@"+host]
	if !ok {
		return time.Time{}, "", storage.ErrNotFound
	}
	return r.at, r.status, nil
}

func (s *memLast) SetLastActivity(_ context.Context, host, user string, at time.Time, status string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[user+"@"+host] = record{at, status}
	s.n++
	return nil
}

type fakeSession struct{ name string }

func (*fakeSession) Deliver(*stream.Element) bool { return true }
func (*fakeSession) Kick(*stream.Error)           {}

func presence(typ, status string) *stream.Element {
	p := stream.NewElement(stream.NSClient, "presence")
	if typ != "" {
		p.SetAttr("type", typ)
	}
	if status != "" {
		p.AddChild(stream.NewElement(stream.NSClient, "status").AddText(status))
	}
	return p
}

// TestRecording runs session and presence events through the module and
// checks what it stores: one logout per session, with the status of the
// last unavailable presence, and nothing for a removed account.
func TestRecording(t *testing.T) {
	ctx := context.Background()
	full := jid.MustParse("alice@localhost/desk")
	avail := presence("", "")
	tests := []struct {
		name       string
		run        func(m *Module, s router.Session)
		wantWrites int
		wantStatus string
	}{
		{"available session closes", func(m *Module, s router.Session) {
			m.onSessionOpened(ctx, &router.SessionEvent{JID: full, Session: s})
			m.onPresence(ctx, &router.PresenceEvent{JID: full, Available: true, Initial: true, Stanza: avail, Session: s})
			// c2s sends unavailable on the session's behalf, then closes it.
			m.onPresence(ctx, &router.PresenceEvent{JID: full, Stanza: presence("unavailable", ""), Session: s})
			m.onSessionClosed(ctx, &router.SessionEvent{JID: full, Session: s, LastPresence: avail})
		}, 1, ""},
		{"unavailable with status, then close", func(m *Module, s router.Session) {
			m.onPresence(ctx, &router.PresenceEvent{JID: full, Available: true, Initial: true, Stanza: avail, Session: s})
			m.onPresence(ctx, &router.PresenceEvent{JID: full, Stanza: presence("unavailable", "Heading Home"), Session: s})
			m.onSessionClosed(ctx, &router.SessionEvent{JID: full, Session: s})
		}, 2, "Heading Home"},
		{"never available", func(m *Module, s router.Session) {
			m.onSessionClosed(ctx, &router.SessionEvent{JID: full, Session: s})
		}, 1, ""},
		{"available again forgets the status", func(m *Module, s router.Session) {
			m.onPresence(ctx, &router.PresenceEvent{JID: full, Stanza: presence("unavailable", "brb"), Session: s})
			m.onPresence(ctx, &router.PresenceEvent{JID: full, Available: true, Stanza: avail, Session: s})
			m.onPresence(ctx, &router.PresenceEvent{JID: full, Stanza: presence("unavailable", ""), Session: s})
			m.onSessionClosed(ctx, &router.SessionEvent{JID: full, Session: s, LastPresence: avail})
		}, 2, ""},
		{"removed account", func(m *Module, s router.Session) {
			m.onUserRemoved(ctx, &router.UserEvent{Host: "localhost", Username: "alice"})
			m.onPresence(ctx, &router.PresenceEvent{JID: full, Stanza: presence("unavailable", ""), Session: s})
			m.onSessionClosed(ctx, &router.SessionEvent{JID: full, Session: s})
		}, 0, ""},
		{"removed, then registered again", func(m *Module, s router.Session) {
			m.onUserRemoved(ctx, &router.UserEvent{Host: "localhost", Username: "alice"})
			m.onSessionOpened(ctx, &router.SessionEvent{JID: full, Session: s})
			m.onSessionClosed(ctx, &router.SessionEvent{JID: full, Session: s})
		}, 1, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := New(DefaultConfig())
			if err != nil {
				t.Fatal(err)
			}
			st := &memLast{m: map[string]record{}}
			m.store, m.log = st, slog.New(slog.DiscardHandler)
			before := time.Now()
			tc.run(m, &fakeSession{})
			if st.n != tc.wantWrites {
				t.Fatalf("%d writes, want %d", st.n, tc.wantWrites)
			}
			if tc.wantWrites == 0 {
				return
			}
			at, status, err := st.LastActivity(ctx, "localhost", "alice")
			if err != nil || status != tc.wantStatus || at.Before(before) {
				t.Fatalf("stored %v %q %v", at, status, err)
			}
			if len(m.status) != 0 {
				t.Fatalf("status kept for %d closed sessions", len(m.status))
			}
		})
	}
}

func TestQuery(t *testing.T) {
	tests := []struct {
		d    time.Duration
		text string
		want string
	}{
		{0, "", "<query xmlns='jabber:iq:last' seconds='0'/>"},
		{903*time.Second + 400*time.Millisecond, "Heading Home", "<query xmlns='jabber:iq:last' seconds='903'>Heading Home</query>"},
		{-time.Minute, "", "<query xmlns='jabber:iq:last' seconds='0'/>"},
	}
	for _, tc := range tests {
		if got := query(tc.d, tc.text).String(); got != tc.want {
			t.Errorf("query(%v, %q) = %s, want %s", tc.d, tc.text, got, tc.want)
		}
	}
}

func TestMetricsLint(t *testing.T) {
	reg := prometheus.NewRegistry()
	for range 2 {
		if _, err := newMetrics(reg); err != nil {
			t.Fatal(err)
		}
	}
	servertest.Lint(t, reg)
}
