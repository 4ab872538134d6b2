package entitytime

import (
	"strings"
	"testing"
	"time"

	"github.com/meerkat-xmpp/meerkat/internal/servertest"
)

func TestAnswer(t *testing.T) {
	instant := time.Date(2006, 12, 19, 17, 58, 35, 123456789, time.UTC)
	cases := []struct {
		name     string
		loc      *time.Location
		tzo, utc string
	}{
		{"UTC", time.UTC, "+00:00", "2006-12-19T17:58:35.123Z"},
		{"west", time.FixedZone("CST", -6*3600), "-06:00", "2006-12-19T17:58:35.123Z"},
		{"east, half hour", time.FixedZone("IST", 5*3600+1800), "+05:30", "2006-12-19T17:58:35.123Z"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			el := answer(instant.In(tc.loc))
			want := "<time xmlns='urn:xmpp:time'><tzo>" + tc.tzo + "</tzo><utc>" + tc.utc + "</utc></time>"
			if el.String() != want {
				t.Errorf("answer %s\nwant %s", el, want)
			}
		})
	}
}

func TestConfigExamples(t *testing.T) {
	servertest.CheckConfigExamples(t, Name, DefaultConfig, Config.Validate)
}

// TestUnknownKey checks the table stays strict though it has no keys.
func TestUnknownKey(t *testing.T) {
	m, ok := servertest.ModuleTable(t, "testdata/unknown.toml", Name)
	if !ok {
		t.Fatal("no table")
	}
	c := DefaultConfig()
	if err := m.Decode(&c); err == nil || !strings.Contains(err.Error(), "modules.time.timezone") {
		t.Errorf("Decode = %v, want an error naming modules.time.timezone", err)
	}
}

func TestTimeOverTheWire(t *testing.T) {
	m, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	fixed := time.Date(2030, 1, 2, 3, 4, 5, 0, time.FixedZone("", -3*3600))
	m.now = func() time.Time { return fixed }
	ts := servertest.StartModules(t, m)
	c := ts.Login(t, "alice", "")
	reply := servertest.Exchange(c, "t", "<iq type='get' to='localhost' id='t'><time xmlns='urn:xmpp:time'/></iq>")
	el := servertest.CheckResult(t, reply)
	if reply.Attr("from") != "localhost" || el.ChildText(NS, "tzo") != "-03:00" || el.ChildText(NS, "utc") != "2030-01-02T06:04:05.000Z" {
		t.Errorf("reply %s", reply)
	}
	cases := []struct {
		name, iq, cond string
	}{
		{"set", "<iq type='set' to='localhost' id='e'><time xmlns='urn:xmpp:time'/></iq>", "not-allowed"},
		{"wrong element", "<iq type='get' to='localhost' id='e'><query xmlns='urn:xmpp:time'/></iq>", "bad-request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			servertest.CheckError(t, servertest.Exchange(c, "e", tc.iq), tc.cond)
		})
	}
}

// TestRealClock checks the default clock against the test's own.
func TestRealClock(t *testing.T) {
	m, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now().Truncate(time.Millisecond)
	el := answer(m.now())
	after := time.Now()
	got, err := time.Parse(time.RFC3339Nano, el.ChildText(NS, "utc"))
	if err != nil {
		t.Fatal(err)
	}
	if got.Before(before) || got.After(after) {
		t.Errorf("utc %v not within [%v, %v]", got, before, after)
	}
	if tzo := el.ChildText(NS, "tzo"); tzo != time.Now().Format("-07:00") {
		t.Errorf("tzo %s, want the local zone's %s", tzo, time.Now().Format("-07:00"))
	}
}
