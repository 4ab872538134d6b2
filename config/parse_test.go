package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// checkErrors fails unless err is an Errors whose lines are exactly want.
func checkErrors(t *testing.T, err error, want []string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want:\n%s", strings.Join(want, "\n"))
	}
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("error is %T, want Errors: %v", err, err)
	}
	got := make([]string, len(errs))
	for i, e := range errs {
		got[i] = e.Error()
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if err.Error() != strings.Join(got, "\n") {
		t.Errorf("Error() = %q, want one problem per line", err.Error())
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		toml string
		want []string
	}{
		// TOML syntax: the parser's message and line, no key.
		{"syntax: two values", "[general]\ndata_dir = \"a\" \"b\"\n",
			[]string{`meerkat.toml:2: expected newline but got U+0022 '"'`}},
		{"syntax: unclosed table", "[general]\n[listen\n",
			[]string{`meerkat.toml:2: expected ']' to close table name`}},
		{"syntax: unclosed array at end", "[general]\nhosts = [\n",
			[]string{`meerkat.toml:2: array is incomplete`}},
		{"syntax: key defined twice", "[log]\nlevel = \"info\"\nlevel = \"debug\"\n",
			[]string{`meerkat.toml:3: key level is already defined`}},
		{"syntax: table defined twice", "[log]\n[tls]\n[log]\n",
			[]string{`meerkat.toml:3: table log already exists`}},

		// Unknown keys, with the full dotted key and a suggestion when close.
		{"unknown top-level table", "[listn]\naddress = \":1\"\n",
			[]string{`meerkat.toml:1: listn: unknown table (did you mean "listen"?)`}},
		{"unknown top-level key", "verbose = true\n",
			[]string{`meerkat.toml:1: verbose: unknown key`}},
		{"unknown key in table", "[general]\nhost = [\"a.example\"]\n",
			[]string{`meerkat.toml:2: general.host: unknown key (did you mean "hosts"?)`}},
		{"unknown key in second c2s", "[[listen.c2s]]\naddress = \":5222\"\n\n[[listen.c2s]]\naddress = \":5223\"\nadress = \":5224\"\n",
			[]string{`meerkat.toml:6: listen.c2s[1].adress: unknown key (did you mean "address"?)`}},
		{"unknown nested table", "[storage.mysql]\ndsn = \"x\"\n",
			[]string{`meerkat.toml:1: storage.mysql: unknown table`}},
		{"unknown key by dotted key", "storage.postgres.dns = \"x\"\n",
			[]string{`meerkat.toml:1: storage.postgres.dns: unknown key (did you mean "dsn"?)`}},
		{"unknown key in inline table", "[listen]\nc2s = [\n  { address = \":5222\" },\n  { address = \":5223\", moed = \"direct\" },\n]\n",
			[]string{`meerkat.toml:4: listen.c2s[1].moed: unknown key (did you mean "mode"?)`}},
		{"unknown quoted key", "[log]\n\"lev el\" = 1\n",
			[]string{`meerkat.toml:2: log."lev el": unknown key (did you mean "level"?)`}},

		// [api]
		{"api on without credentials", "[api]\nenabled = true\n",
			[]string{`meerkat.toml:2: api.enabled: needs api.tokens, api.token_file, api.hmac_secret or api.hmac_secret_file`}},
		{"api on without http", "[listen.http]\nenabled = false\n\n[api]\nenabled = true\ntokens = [\"0123456789abcdef\"]\n",
			[]string{`meerkat.toml:5: api.enabled: needs listen.http.enabled = true`}},
		{"api short token and secret", "[api]\ntokens = [\"0123456789abcdef\", \"short\"]\nhmac_secret = \"short\"\n",
			[]string{`meerkat.toml:2: api.tokens[1]: must be at least 16 characters`, `meerkat.toml:3: api.hmac_secret: must be at least 16 characters`}},
		{"api window and body", "[api]\ntimestamp_window = \"2h\"\nmax_body_bytes = 10\n",
			[]string{`meerkat.toml:2: api.timestamp_window: must be from 1s to 1h`, `meerkat.toml:3: api.max_body_bytes: must be at least 1024`}},
		{"api service jid on another host", "[api]\nservice_jid = \"bot@elsewhere.example\"\n",
			[]string{`meerkat.toml:2: api.service_jid: "bot@elsewhere.example" is not on a served host (general.hosts)`}},
		{"api secret twice", "[api]\nhmac_secret = \"0123456789abcdef\"\nhmac_secret_file = \"/x\"\n",
			[]string{`meerkat.toml:3: api.hmac_secret_file: set api.hmac_secret or api.hmac_secret_file, not both`}},

		// Types.
		{"string for int", "[[listen.c2s]]\naddress = \":5222\"\nmax_stanza_bytes = \"64k\"\n",
			[]string{`meerkat.toml:3: listen.c2s[0].max_stanza_bytes: expected an integer, got a string ("64k")`}},
		{"int for string", "[general]\ndata_dir = 5\n",
			[]string{`meerkat.toml:2: general.data_dir: expected a string, got an integer (5)`}},
		{"float for string", "[tls]\nmin_version = 1.3\n",
			[]string{`meerkat.toml:2: tls.min_version: expected a string, got a float (1.3)`}},
		{"string for bool", "[storage]\nauto_migrate = \"yes\"\n",
			[]string{`meerkat.toml:2: storage.auto_migrate: expected true or false, got a string ("yes")`}},
		{"string for array", "[general]\nhosts = \"example.com\"\n",
			[]string{`meerkat.toml:2: general.hosts: expected an array, got a string ("example.com")`}},
		{"int in string array", "[auth]\nmechanisms = [\"PLAIN\",\n  7]\n",
			[]string{`meerkat.toml:3: auth.mechanisms[1]: expected a string, got an integer (7)`}},
		{"value for table", "log = \"debug\"\n",
			[]string{`meerkat.toml:1: log: expected a table, got a string ("debug")`}},
		{"table for value", "[log.level]\n",
			[]string{`meerkat.toml:1: log.level: expected a string, got a table`}},
		{"c2s as a table", "[listen.c2s]\naddress = \":5222\"\n",
			[]string{`meerkat.toml:1: listen.c2s: expected an array, got a table`}},
		{"c2s element not a table", "[listen]\nc2s = [5]\n",
			[]string{`meerkat.toml:2: listen.c2s[0]: expected a table, got an integer (5)`}},
		{"date for string", "[general]\ndata_dir = 2026-01-02\n",
			[]string{`meerkat.toml:2: general.data_dir: expected a string, got a date`}},
		{"int too large", "[[listen.c2s]]\naddress = \":5222\"\nmax_depth = 9223372036854775807\n",
			nil}, // fits in int on 64-bit platforms; range is checked below
		{"duration as number", "[general]\nshutdown_grace = 10\n",
			[]string{`meerkat.toml:2: general.shutdown_grace: expected a duration string such as "30s", got an integer (10)`}},
		{"bad duration", "[[listen.c2s]]\naddress = \":5222\"\nidle_timeout = \"5 minutes\"\n",
			[]string{`meerkat.toml:3: listen.c2s[0].idle_timeout: invalid duration "5 minutes": write a number and a unit, such as "30s", "5m" or "1h30m"`}},
		{"negative duration", "[general]\nshutdown_grace = \"-1s\"\n",
			[]string{`meerkat.toml:2: general.shutdown_grace: invalid duration "-1s": must not be negative`}},
		{"memory limit without unit word", "[general]\nmemory_limit = \"lots\"\n",
			[]string{`meerkat.toml:2: general.memory_limit: invalid memory limit "lots": write "auto", "off" or a size such as "2GiB" or "512MiB"`}},
		{"memory limit too small", "[general]\nmemory_limit = \"64KB\"\n",
			[]string{`meerkat.toml:2: general.memory_limit: invalid memory limit "64KB": must be at least 32MiB`}},
		{"memory limit size", "[general]\nmemory_limit = \"2GiB\"\n", nil},
		{"gc percent too small", "[general]\ngc_percent = 5\n",
			[]string{`meerkat.toml:2: general.gc_percent: must be at least 10, or -1 to collect only near memory_limit`}},
		{"gc off without limit", "[general]\ngc_percent = -1\nmemory_limit = \"off\"\n",
			[]string{`meerkat.toml:2: general.gc_percent: -1 (collect only near the memory limit) needs a memory_limit other than "off"`}},
		{"module not a table", "[modules]\nping = true\n",
			[]string{`meerkat.toml:2: modules.ping: expected a table, got a boolean (true)`}},

		// Values.
		{"no hosts", "[general]\nhosts = []\n",
			[]string{`meerkat.toml:2: general.hosts: must list at least one host`}},
		{"bad hosts", "[general]\nhosts = [\n  \"example.com\",\n  \"\",\n  \"bad_host.example\",\n  \"EXAMPLE.com\",\n  \"trailing.dot.\",\n  \"::1\",\n  \"-x.example\",\n]\n",
			[]string{
				`meerkat.toml:4: general.hosts[1]: must not be empty`,
				`meerkat.toml:5: general.hosts[2]: invalid domain "bad_host.example": has the character '_'; only letters, digits, "-" and "." are allowed (write internationalized names in their xn-- form)`,
				`meerkat.toml:6: general.hosts[3]: "example.com" is already listed as general.hosts[0]`,
				`meerkat.toml:7: general.hosts[4]: invalid domain "trailing.dot.": must not end with a dot`,
				`meerkat.toml:8: general.hosts[5]: invalid domain "::1": write an IPv6 address in brackets, such as [::1]`,
				`meerkat.toml:9: general.hosts[6]: invalid domain "-x.example": label "-x" starts or ends with "-"`,
			}},
		{"empty data_dir", "[general]\ndata_dir = \"\"\n",
			[]string{`meerkat.toml:2: general.data_dir: must not be empty`}},
		{"bad mode", "[[listen.c2s]]\naddress = \":5222\"\nmode = \"tls\"\n",
			[]string{`meerkat.toml:3: listen.c2s[0].mode: must be one of starttls, direct, plain`}},
		{"missing address", "[[listen.c2s]]\naddress = \":5222\"\n\n[[listen.c2s]]\nmode = \"direct\"\n",
			[]string{`meerkat.toml:4: listen.c2s[1].address: is required`}},
		{"bad addresses", "[[listen.c2s]]\naddress = \"5222\"\n[[listen.c2s]]\naddress = \":99999\"\n[[listen.c2s]]\naddress = \"bad host:5222\"\n",
			[]string{
				`meerkat.toml:2: listen.c2s[0].address: must be host:port, such as ":5222" or "127.0.0.1:5222" (got "5222")`,
				`meerkat.toml:4: listen.c2s[1].address: port must be a number from 0 to 65535 (got "99999")`,
				`meerkat.toml:6: listen.c2s[2].address: host "bad host" is neither an IP address nor a host name`,
			}},
		{"limits", "[[listen.c2s]]\naddress = \":5222\"\nmax_stanza_bytes = 100\nmax_depth = 0\nmax_attrs = -1\nhandshake_timeout = \"0s\"\nmax_auth_failures = 0\nresource_conflict = \"kick\"\n",
			[]string{
				`meerkat.toml:3: listen.c2s[0].max_stanza_bytes: must be at least 1024`,
				`meerkat.toml:4: listen.c2s[0].max_depth: must be at least 1`,
				`meerkat.toml:5: listen.c2s[0].max_attrs: must be at least 1`,
				`meerkat.toml:6: listen.c2s[0].handshake_timeout: must be more than 0s`,
				`meerkat.toml:7: listen.c2s[0].max_auth_failures: must be at least 1`,
				`meerkat.toml:8: listen.c2s[0].resource_conflict: must be one of replace, refuse`,
			}},
		{"queue smaller than a stanza", "[[listen.c2s]]\naddress = \":5222\"\nmax_stanza_bytes = 4096\noutbound_queue_bytes = 2048\n",
			[]string{`meerkat.toml:4: listen.c2s[0].outbound_queue_bytes: must be at least max_stanza_bytes (4096)`}},
		{"duplicate listen address", "[[listen.c2s]]\naddress = \":5222\"\n[[listen.c2s]]\naddress = \"127.0.0.1:5222\"\n[[listen.c2s]]\naddress = \"127.0.0.1:0\"\n[[listen.c2s]]\naddress = \"127.0.0.1:0\"\n[listen.http]\naddress = \"[::1]:5222\"\n",
			[]string{
				`meerkat.toml:4: listen.c2s[1].address: port 5222 is already used by listen.c2s[0] (:5222)`,
				`meerkat.toml:10: listen.http.address: port 5222 is already used by listen.c2s[0] (:5222)`,
			}},
		{"http port clash ignored when disabled", "[[listen.c2s]]\naddress = \":5280\"\n[listen.http]\nenabled = false\n",
			nil},
		{"http without address", "[listen.http]\naddress = \"\"\n",
			[]string{`meerkat.toml:2: listen.http.address: is required when listen.http.enabled is true`}},
		{"mechanisms", "[auth]\nmechanisms = [\"scram-sha-1\", \"PLAIN\", \"PLAIN\", \"DIGEST-MD5\"]\nscram_iterations = 1000\nbackends = [\"ldap\", \"internal\", \"internal\"]\n",
			[]string{
				`meerkat.toml:2: auth.mechanisms[0]: unknown mechanism "scram-sha-1" (names are upper case: "SCRAM-SHA-1")`,
				`meerkat.toml:2: auth.mechanisms[2]: "PLAIN" is already listed as auth.mechanisms[1]`,
				`meerkat.toml:2: auth.mechanisms[3]: unknown mechanism "DIGEST-MD5"; supported: SCRAM-SHA-512-PLUS, SCRAM-SHA-256-PLUS, SCRAM-SHA-1-PLUS, SCRAM-SHA-512, SCRAM-SHA-256, SCRAM-SHA-1, PLAIN`,
				`meerkat.toml:3: auth.scram_iterations: must be at least 4096`,
				`meerkat.toml:4: auth.backends[0]: unknown backend "ldap"; supported: internal, wordpress, http, jwt, anonymous`,
				`meerkat.toml:4: auth.backends[2]: "internal" is already listed as auth.backends[1]`,
			}},
		{"auth backends", "[general]\nhosts = [\"a.example\"]\n[auth]\nbackends = [\"wordpress\", \"http\", \"jwt\"]\n[auth.hosts.\"b.example\"]\nbackends = []\n[auth.rate_limit]\nwindow = \"0s\"\n[auth.wordpress]\ntable_prefix = \"wp-\"\n[auth.http]\nbase_url = \"ftp://x\"\n[auth.jwt]\nalgorithm = \"RS256\"\n",
			[]string{
				`meerkat.toml:5: auth.hosts."b.example": "b.example" is not one of general.hosts`,
				`meerkat.toml:6: auth.hosts."b.example".backends: must list at least one backend`,
				`meerkat.toml:8: auth.rate_limit.window: must be more than 0s`,
				`meerkat.toml:9: auth.wordpress.dsn: required when backends list "wordpress"`,
				`meerkat.toml:9: auth.wordpress.logged_in_key: cookies need logged_in_key and logged_in_salt, or wp_config`,
				`meerkat.toml:10: auth.wordpress.table_prefix: only letters, digits and _`,
				`meerkat.toml:12: auth.http.base_url: want an http:// or https:// URL with a host, got "ftp://x"`,
				`meerkat.toml:13: auth.jwt.public_key_file: RS256 needs public_key_file`,
			}},
		{"jwt require_exp not a boolean", "[auth.jwt]\nrequire_exp = \"yes\"\n",
			[]string{`meerkat.toml:2: auth.jwt.require_exp: expected true or false, got a string ("yes")`}},
		{"no mechanisms", "[auth]\nmechanisms = []\n",
			[]string{`meerkat.toml:2: auth.mechanisms: must list at least one mechanism`}},
		{"postgres without dsn, table present", "[storage]\nbackend = \"postgres\"\n\n[storage.postgres]\nmax_conns = 4\n",
			[]string{`meerkat.toml:4: storage.postgres.dsn: is required when storage.backend is "postgres"`}},
		{"postgres without dsn, no table", "[storage]\nbackend = \"postgres\"\n",
			[]string{`meerkat.toml:2: storage.postgres.dsn: is required when storage.backend is "postgres"`}},
		{"bad storage", "[storage]\nbackend = \"mysql\"\n[storage.postgres]\nmax_conns = 0\n",
			[]string{
				`meerkat.toml:2: storage.backend: must be one of sqlite, postgres`,
				`meerkat.toml:4: storage.postgres.max_conns: must be at least 1`,
			}},
		{"cert without key", "[tls]\ncert_file = \"/etc/meerkat/cert.pem\"\n",
			[]string{`meerkat.toml:1: tls.key_file: is required when tls.cert_file is set`}},
		{"key without cert", "tls.key_file = \"/etc/meerkat/key.pem\"\n",
			[]string{`meerkat.toml:1: tls.cert_file: is required when tls.key_file is set`}},
		{"tls version", "[tls]\nmin_version = \"1.1\"\n",
			[]string{`meerkat.toml:2: tls.min_version: must be one of 1.2, 1.3`}},
		{"log", "[log]\nlevel = \"trace\"\nformat = \"xml\"\n",
			[]string{
				`meerkat.toml:2: log.level: must be one of debug, info, warn, error`,
				`meerkat.toml:3: log.format: must be one of text, json`,
			}},

		// Several kinds at once: all are reported, in line order.
		{"many problems collected", `[general]
hosts = ["a.example", "A.example"]
data_dir = 5

[[listen.c2s]]
adress = ":5222"
mode = "tls"
max_depth = "deep"

[auth]
scram_iterations = 10

[storage]
backend = "postgres"

[tls]
cert_file = "c.pem"

[modules.ping]
interval = "30s"

[metrics]
`, []string{
			`meerkat.toml:2: general.hosts[1]: "a.example" is already listed as general.hosts[0]`,
			`meerkat.toml:3: general.data_dir: expected a string, got an integer (5)`,
			`meerkat.toml:5: listen.c2s[0].address: is required`,
			`meerkat.toml:6: listen.c2s[0].adress: unknown key (did you mean "address"?)`,
			`meerkat.toml:7: listen.c2s[0].mode: must be one of starttls, direct, plain`,
			`meerkat.toml:8: listen.c2s[0].max_depth: expected an integer, got a string ("deep")`,
			`meerkat.toml:11: auth.scram_iterations: must be at least 4096`,
			`meerkat.toml:14: storage.postgres.dsn: is required when storage.backend is "postgres"`,
			`meerkat.toml:16: tls.key_file: is required when tls.cert_file is set`,
			`meerkat.toml:22: metrics: unknown table`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("meerkat.toml", []byte(tt.toml))
			if tt.want == nil {
				if err != nil {
					t.Fatalf("unexpected error:\n%v", err)
				}
				return
			}
			if c != nil {
				t.Errorf("Parse returned a Config along with errors")
			}
			checkErrors(t, err, tt.want)
		})
	}
}

func TestParseValues(t *testing.T) {
	c, err := Parse("meerkat.toml", []byte(`
[general]
hosts = ["Example.COM", "127.0.0.1", "[::1]", "xn--bcher-kva.example"]
data_dir = "/var/lib/meerkat"
shutdown_grace = "1m30s"

[[listen.c2s]]
address = "127.0.0.1:5222"
max_stanza_bytes = 262144

[[listen.c2s]]
address = "[::1]:0"
mode = "plain"
idle_timeout = "0s"
resource_conflict = "refuse"
legacy_session = false
starttls_required = false

[listen.http]
enabled = false

[auth]
mechanisms = ["SCRAM-SHA-256", "PLAIN"]
scram_iterations = 10000

[auth.jwt]
require_exp = false

[storage]
backend = "postgres"
auto_migrate = false
postgres = { dsn = "postgres://m@db/meerkat", max_conns = 4 }

[tls]
cert_file = "c.pem"
key_file = "k.pem"
min_version = "1.3"

[log]
level = "debug"
format = "json"
`))
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Path = "meerkat.toml"
	want.General = General{
		Hosts:              []string{"example.com", "127.0.0.1", "[::1]", "xn--bcher-kva.example"},
		DataDir:            "/var/lib/meerkat",
		ShutdownGrace:      Duration(90 * time.Second),
		MemoryTrimInterval: Duration(10 * time.Second),
		GCPercent:          400,
	}
	var first, second C2S
	first.SetDefaults()
	first.Address = "127.0.0.1:5222"
	first.MaxStanzaBytes = 262144
	second.SetDefaults()
	second.Address = "[::1]:0"
	second.Mode = ModePlain
	second.IdleTimeout = 0
	second.ResourceConflict = ConflictRefuse
	second.LegacySession = false
	second.StartTLSRequired = false
	httpWant := defaultHTTP()
	httpWant.Enabled = false
	want.Listen = Listen{C2S: []C2S{first, second}, HTTP: httpWant}
	want.Auth.Mechanisms, want.Auth.SCRAMIterations = []string{"SCRAM-SHA-256", "PLAIN"}, 10000
	want.Auth.JWT.RequireExp = false
	want.Storage = Storage{Backend: "postgres", AutoMigrate: false, Postgres: Postgres{DSN: "postgres://m@db/meerkat", MaxConns: 4}}
	want.TLS = TLS{CertFile: "c.pem", KeyFile: "k.pem", MinVersion: "1.3"}
	want.Log = Log{Level: "debug", Format: "json"}
	c.pos = nil
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got  %+v\nwant %+v", c, want)
	}
}

func TestParseEdgeCases(t *testing.T) {
	tests := []struct {
		name  string
		toml  string
		check func(*Config) bool
	}{
		{"empty file gives defaults", "", func(c *Config) bool {
			c.Path, c.pos = "", nil
			return reflect.DeepEqual(c, Default())
		}},
		{"comments only", "# nothing\n\n", func(c *Config) bool { return len(c.Listen.C2S) == 2 }},
		{"byte order mark", "\uFEFF[log]\nlevel = \"warn\"\n", func(c *Config) bool { return c.Log.Level == "warn" }},
		{"CRLF line ends", "[log]\r\nlevel = \"warn\"\r\n", func(c *Config) bool { return c.Log.Level == "warn" }},
		{"no client listeners", "[listen]\nc2s = []\n", func(c *Config) bool { return len(c.Listen.C2S) == 0 }},
		{"one listener replaces both defaults", "[[listen.c2s]]\naddress = \":5333\"\n", func(c *Config) bool {
			return len(c.Listen.C2S) == 1 && c.Listen.C2S[0].Mode == ModeStartTLS && c.Listen.C2S[0].MaxDepth == 32
		}},
		{"dotted keys", "general.hosts = [\"a.example\"]\nlog.level = \"error\"\n", func(c *Config) bool {
			return c.General.Hosts[0] == "a.example" && c.Log.Level == "error"
		}},
		{"empty module table", "[modules.ping]\n", func(c *Config) bool {
			m, ok := c.Modules["ping"]
			return ok && m.Name == "ping" && m.Line == 1 && len(m.Raw) == 0
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("meerkat.toml", []byte(tt.toml))
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(c) {
				t.Errorf("unexpected config: %+v", c)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.toml")
	bad := filepath.Join(dir, "bad.toml")
	if err := os.WriteFile(good, []byte("[log]\nlevel = \"warn\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("[log]\nlevel = \"loud\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	t.Run("good", func(t *testing.T) {
		c, err := Load(good)
		if err != nil {
			t.Fatal(err)
		}
		if c.Path != good || c.Log.Level != "warn" {
			t.Errorf("Load(%s) = path %q level %q", good, c.Path, c.Log.Level)
		}
	})
	t.Run("bad names the file", func(t *testing.T) {
		_, err := Load(bad)
		checkErrors(t, err, []string{bad + `:2: log.level: must be one of debug, info, warn, error`})
	})
	t.Run("missing file", func(t *testing.T) {
		_, err := Load(filepath.Join(dir, "none.toml"))
		if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("Load(missing) = %v, want an fs.ErrNotExist error", err)
		}
	})
}

// TestValidateInCode checks errors for a Config built in code: no file and
// no line.
func TestValidateInCode(t *testing.T) {
	c := Default()
	c.Listen.C2S[1].Address = ":5222"
	c.General.Hosts = append(c.General.Hosts, "LocalHost")
	c.Storage.Backend = StoragePostgres
	checkErrors(t, c.Validate(), []string{
		`general.hosts[1]: "localhost" is already listed as general.hosts[0]`,
		`listen.c2s[1].address: port 5222 is already used by listen.c2s[0] (:5222)`,
		`storage.postgres.dsn: is required when storage.backend is "postgres"`,
	})
}

// TestDefaultsErrorHasNoLine checks that a problem in a value the file did
// not set has no line, while naming the file.
func TestDefaultsErrorHasNoLine(t *testing.T) {
	_, err := Parse("meerkat.toml", []byte("[[listen.c2s]]\naddress = \":5280\"\n"))
	checkErrors(t, err, []string{
		`meerkat.toml: listen.http.address: port 5280 is already used by listen.c2s[0] (:5280)`,
	})
}
