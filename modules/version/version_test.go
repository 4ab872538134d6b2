package version

import (
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/meerkat-xmpp/meerkat/internal/servertest"
)

func TestBuildVersion(t *testing.T) {
	rev := debug.BuildSetting{Key: "vcs.revision", Value: "0123456789abcdef0123"}
	cases := []struct {
		name string
		bi   debug.BuildInfo
		want string
	}{
		{"tagged", debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}}, "v1.2.3"},
		{"tagged with revision", debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}, Settings: []debug.BuildSetting{rev}}, "v1.2.3 (0123456789ab)"},
		{"local build", debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "dev"},
		{"local build with revision", debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{rev}}, "dev (0123456789ab)"},
		{"nothing", debug.BuildInfo{}, "dev"},
		{"short revision", debug.BuildInfo{Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}}}, "dev"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := buildVersion(&tc.bi); got != tc.want {
				t.Errorf("buildVersion = %q, want %q", got, tc.want)
			}
		})
	}
	if BuildVersion() == "" {
		t.Error("BuildVersion() is empty")
	}
}

func TestAnswer(t *testing.T) {
	osTag := "<os>" + runtime.GOOS + "/" + runtime.GOARCH + "</os>"
	cases := []struct {
		name string
		cfg  Config
		want string
	}{
		{"configured version", Config{Version: "1.0 <beta>"},
			"<query xmlns='jabber:iq:version'><name>Meerkat</name><version>1.0 &lt;beta&gt;</version></query>"},
		{"with os", Config{Version: "2", ShowOS: true},
			"<query xmlns='jabber:iq:version'><name>Meerkat</name><version>2</version>" + osTag + "</query>"},
		{"build version", Config{},
			"<query xmlns='jabber:iq:version'><name>Meerkat</name><version>" + BuildVersion() + "</version></query>"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := New(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if got := m.answer().String(); got != tc.want {
				t.Errorf("answer %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"defaults", DefaultConfig(), true},
		{"version", Config{Version: "1.2.3-rc1 (abc)", ShowOS: true}, true},
		{"newline", Config{Version: "1\n2"}, false},
		{"invalid UTF-8", Config{Version: "\xff"}, false},
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

func TestVersionOverTheWire(t *testing.T) {
	m, err := New(Config{Version: "9.9.9", ShowOS: true})
	if err != nil {
		t.Fatal(err)
	}
	ts := servertest.StartModules(t, m)
	c := ts.Login(t, "alice", "")
	reply := servertest.Exchange(c, "v", "<iq type='get' to='localhost' id='v'><query xmlns='jabber:iq:version'/></iq>")
	q := servertest.CheckResult(t, reply)
	if reply.Attr("from") != "localhost" || q.ChildText(NS, "name") != "Meerkat" || q.ChildText(NS, "version") != "9.9.9" ||
		q.ChildText(NS, "os") != runtime.GOOS+"/"+runtime.GOARCH {
		t.Errorf("reply %s", reply)
	}
	cases := []struct {
		name, iq, cond string
	}{
		{"set", "<iq type='set' to='localhost' id='e'><query xmlns='jabber:iq:version'><name>x</name></query></iq>", "not-allowed"},
		{"wrong element", "<iq type='get' to='localhost' id='e'><version xmlns='jabber:iq:version'/></iq>", "bad-request"},
		// A user's version is their clients' to tell; the server does not
		// answer for an account.
		{"to an account", "<iq type='get' to='bob@localhost' id='e'><query xmlns='jabber:iq:version'/></iq>", "service-unavailable"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			servertest.CheckError(t, servertest.Exchange(c, "e", tc.iq), tc.cond)
		})
	}
}
