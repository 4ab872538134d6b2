package offline

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"mellium.im/xmpp/jid"

	"github.com/meerkat-xmpp/meerkat/internal/servertest"
	"github.com/meerkat-xmpp/meerkat/storage"
	"github.com/meerkat-xmpp/meerkat/stream"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"default", DefaultConfig(), true},
		{"one", Config{MaxMessages: 1}, true},
		{"upper bound", Config{MaxMessages: maxMessages}, true},
		{"zero", Config{MaxMessages: 0}, false},
		{"negative", Config{MaxMessages: -5}, false},
		{"too many", Config{MaxMessages: maxMessages + 1}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if (err == nil) != tc.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tc.ok)
			}
			if _, err := New(tc.cfg); (err == nil) != tc.ok {
				t.Fatalf("New() = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func parse(t *testing.T, s string) *stream.Element {
	t.Helper()
	el, err := stream.DecodeElement([]byte(s), stream.DefaultLimits(), stream.NSClient)
	if err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return el
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name, msg string
		want      decision
	}{
		{"body", "<message type='chat'><body>hi</body></message>", store},
		{"normal with subject", "<message><subject>s</subject></message>", store},
		{"body and chat state", "<message type='chat'><body>hi</body><active xmlns='" + NSChatStates + "'/></message>", store},
		{"extension payload only", "<message><encrypted xmlns='eu.siacs.conversations.axolotl'/></message>", store},
		{"receipt", "<message><received xmlns='urn:xmpp:receipts' id='x'/></message>", store},
		{"chat state only", "<message type='chat'><composing xmlns='" + NSChatStates + "'/></message>", drop},
		{"chat state and thread", "<message type='chat'><thread>t</thread><paused xmlns='" + NSChatStates + "'/></message>", drop},
		{"empty", "<message type='chat'/>", drop},
		{"whitespace only", "<message type='chat'>  </message>", drop},
		{"no-store hint", "<message type='chat'><body>hi</body><no-store xmlns='" + NSHints + "'/></message>", refuse},
		{"no-store hint first", "<message><no-store xmlns='" + NSHints + "'/><body>hi</body></message>", refuse},
		{"other hint", "<message><body>hi</body><no-copy xmlns='" + NSHints + "'/></message>", store},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := classify(parse(t, tc.msg)); got != tc.want {
				t.Fatalf("classify = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestDelay(t *testing.T) {
	at := time.Date(2026, 11, 21, 23, 8, 25, 123456789, time.FixedZone("x", 3600))
	got := Delay("localhost", at).String()
	want := "<delay xmlns='urn:xmpp:delay' from='localhost' stamp='2026-11-21T22:08:25.123Z'>Offline Storage</delay>"
	if got != want {
		t.Fatalf("Delay:\n got %s\nwant %s", got, want)
	}
}

// memOffline is an in-memory storage.Offline for unit tests.
type memOffline struct {
	mu   sync.Mutex
	next int64
	msgs map[string][]storage.OfflineMessage
}

func (s *memOffline) StoreOffline(_ context.Context, host, user string, m storage.OfflineMessage, max int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := user + "@" + host
	if max > 0 && len(s.msgs[k]) >= max {
		return storage.ErrLimit
	}
	s.next++
	m.ID = s.next
	s.msgs[k] = append(s.msgs[k], m)
	return nil
}

func (s *memOffline) OfflineMessages(_ context.Context, host, user string) ([]storage.OfflineMessage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.msgs[user+"@"+host]), nil
}

func (s *memOffline) DeleteOffline(_ context.Context, host, user string, upTo int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := user + "@" + host
	s.msgs[k] = slices.DeleteFunc(s.msgs[k], func(m storage.OfflineMessage) bool { return m.ID <= upTo })
	return nil
}

func (s *memOffline) CountOffline(_ context.Context, host, user string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.msgs[user+"@"+host]), nil
}

// takeN is a session that accepts n stanzas and then refuses.
type takeN struct {
	n   int
	got []*stream.Element
}

func (s *takeN) Deliver(el *stream.Element) bool {
	if len(s.got) >= s.n {
		return false
	}
	s.got = append(s.got, el)
	return true
}

func (s *takeN) Kick(*stream.Error) {}

// TestDeliverDeletesOnlyWhatWasTaken checks that a session that stops
// accepting mid-queue leaves the rest stored, in order, for next time.
func TestDeliverDeletesOnlyWhatWasTaken(t *testing.T) {
	ctx := context.Background()
	st := &memOffline{msgs: map[string][]storage.OfflineMessage{}}
	m, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	met, err := newMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	m.store, m.log, m.metrics = st, slog.New(slog.DiscardHandler), met
	stamp := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, body := range []string{"one", "two", "three", "four", "five"} {
		raw := []byte("<message to='bob@localhost' from='alice@localhost/x' type='chat'><body>" + body + "</body></message>")
		if err := st.StoreOffline(ctx, "localhost", "bob", storage.OfflineMessage{Stamp: stamp, Stanza: raw}, 0); err != nil {
			t.Fatal(err)
		}
	}
	// A corrupt entry in the middle is skipped and deleted with the rest.
	st.msgs["bob@localhost"][1].Stanza = []byte("<message><body>broken")
	full := jid.MustParse("bob@localhost/phone")

	s1 := &takeN{n: 2}
	m.deliver(ctx, full, s1)
	if got := bodies(s1.got); !slices.Equal(got, []string{"one", "three"}) {
		t.Fatalf("first session got %v", got)
	}
	if n, _ := st.CountOffline(ctx, "localhost", "bob"); n != 2 {
		t.Fatalf("%d messages left, want 2", n)
	}
	for _, el := range s1.got {
		d := el.Child(NSDelay, "delay")
		if d.Attr("from") != "localhost" || d.Attr("stamp") != "2026-01-02T03:04:05.000Z" {
			t.Fatalf("bad delay in %s", el)
		}
	}
	s2 := &takeN{n: 100}
	m.deliver(ctx, full, s2)
	if got := bodies(s2.got); !slices.Equal(got, []string{"four", "five"}) {
		t.Fatalf("second session got %v", got)
	}
	if n, _ := st.CountOffline(ctx, "localhost", "bob"); n != 0 {
		t.Fatalf("%d messages left, want 0", n)
	}
	if got := value(t, met.delivered); got != 4 {
		t.Fatalf("delivered_total = %v, want 4", got)
	}
}

// value reads a counter.
func value(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

func bodies(els []*stream.Element) []string {
	var out []string
	for _, el := range els {
		out = append(out, el.ChildText(stream.NSClient, "body"))
	}
	return out
}

func TestMetricsLint(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := newMetrics(reg); err != nil {
		t.Fatal(err)
	}
	// Registering again (a restart on the same registry) reuses them.
	if _, err := newMetrics(reg); err != nil {
		t.Fatal(err)
	}
	for _, mf := range servertest.Lint(t, reg) {
		if !strings.HasPrefix(mf.GetName(), "meerkat_offline_") {
			t.Errorf("metric %s lacks the meerkat_offline_ prefix", mf.GetName())
		}
	}
}
