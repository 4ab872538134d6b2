package config

import (
	"maps"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestDefault(t *testing.T) {
	c := Default()
	tests := []struct {
		name      string
		got, want any
	}{
		{"path", c.Path, ""},
		{"hosts", c.General.Hosts, []string{"localhost"}},
		{"data_dir", c.General.DataDir, "./data"},
		{"shutdown_grace", c.General.ShutdownGrace.D(), 10 * time.Second},
		{"c2s count", len(c.Listen.C2S), 2},
		{"c2s[0].address", c.Listen.C2S[0].Address, ":5222"},
		{"c2s[0].mode", c.Listen.C2S[0].Mode, "starttls"},
		{"c2s[1].address", c.Listen.C2S[1].Address, ":5223"},
		{"c2s[1].mode", c.Listen.C2S[1].Mode, "direct"},
		{"c2s[0].starttls_required", c.Listen.C2S[0].StartTLSRequired, true},
		{"c2s[0].max_stanza_bytes", c.Listen.C2S[0].MaxStanzaBytes, 65536},
		{"c2s[0].max_depth", c.Listen.C2S[0].MaxDepth, 32},
		{"c2s[0].max_attrs", c.Listen.C2S[0].MaxAttrs, 64},
		{"c2s[0].handshake_timeout", c.Listen.C2S[0].HandshakeTimeout.D(), 30 * time.Second},
		{"c2s[0].idle_timeout", c.Listen.C2S[0].IdleTimeout.D(), 10 * time.Minute},
		{"c2s[0].park_after", c.Listen.C2S[0].ParkAfter.D(), 2 * time.Second},
		{"c2s[0].outbound_queue_bytes", c.Listen.C2S[0].OutboundQueueBytes, 1048576},
		{"c2s[0].max_auth_failures", c.Listen.C2S[0].MaxAuthFailures, 3},
		{"c2s[0].resource_conflict", c.Listen.C2S[0].ResourceConflict, "replace"},
		{"c2s[0].legacy_session", c.Listen.C2S[0].LegacySession, true},
		{"c2s[1] defaults", c.Listen.C2S[1].MaxStanzaBytes, 65536},
		{"http.address", c.Listen.HTTP.Address, ":5280"},
		{"http.enabled", c.Listen.HTTP.Enabled, true},
		{"auth.mechanisms", c.Auth.Mechanisms, []string{
			"SCRAM-SHA-512-PLUS", "SCRAM-SHA-256-PLUS", "SCRAM-SHA-1-PLUS",
			"SCRAM-SHA-512", "SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN",
		}},
		{"auth.scram_iterations", c.Auth.SCRAMIterations, 4096},
		{"auth.backends", c.Auth.Backends, []string{"internal"}},
		{"auth.rate_limit.per_ip", c.Auth.RateLimit.PerIP, 20},
		{"auth.wordpress.table_prefix", c.Auth.WordPress.TablePrefix, "wp_"},
		{"auth.jwt.user_claim", c.Auth.JWT.UserClaim, "sub"},
		{"auth.jwt.require_exp", c.Auth.JWT.RequireExp, true},
		{"storage.backend", c.Storage.Backend, "sqlite"},
		{"storage.auto_migrate", c.Storage.AutoMigrate, true},
		{"storage.sqlite.path", c.Storage.SQLite.Path, ""},
		{"storage.postgres.dsn", c.Storage.Postgres.DSN, ""},
		{"storage.postgres.max_conns", c.Storage.Postgres.MaxConns, 16},
		{"tls.cert_file", c.TLS.CertFile, ""},
		{"tls.key_file", c.TLS.KeyFile, ""},
		{"tls.min_version", c.TLS.MinVersion, "1.2"},
		{"log.level", c.Log.Level, "info"},
		{"log.format", c.Log.Format, "text"},
		{"modules", c.ModuleNames(), []string{"blocking", "disco", "last", "muc", "offline", "ping", "presence", "private", "roster", "time", "vcard", "version"}},
		{"sqlite path", c.SQLitePath(), "data/meerkat.db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Errorf("got %#v, want %#v", tt.got, tt.want)
			}
		})
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Default().Validate() = %v", err)
	}
	if c.Modules == nil {
		t.Error("Default().Modules is nil")
	}
}

// TestDefaultIsFresh checks that Default hands out no shared slices or maps.
func TestDefaultIsFresh(t *testing.T) {
	a := Default()
	a.General.Hosts[0] = "changed"
	a.Listen.C2S[0].Address = "changed"
	a.Auth.Mechanisms[0] = "changed"
	a.Modules["x"] = Module{}
	b := Default()
	if b.General.Hosts[0] != "localhost" || b.Listen.C2S[0].Address != ":5222" ||
		b.Auth.Mechanisms[0] != MechSCRAMSHA512Plus || len(b.Modules) != len(defaultModules) {
		t.Errorf("Default shares state between calls: %+v", b)
	}
}

const examplePath = "../meerkat.toml"

// TestExampleFile checks that the shipped example parses with no error and
// gives exactly the defaults.
func TestExampleFile(t *testing.T) {
	c, err := Load(examplePath)
	if err != nil {
		t.Fatalf("Load(%s): %v", examplePath, err)
	}
	if c.Path != examplePath {
		t.Errorf("Path = %q, want %q", c.Path, examplePath)
	}
	c.Path, c.pos = "", nil
	// The example switches on exactly the default modules, each with its
	// module's own defaults written out (checked by each module's tests).
	want := Default()
	if got, wantNames := slices.Sorted(maps.Keys(c.Modules)), slices.Sorted(maps.Keys(want.Modules)); !slices.Equal(got, wantNames) {
		t.Errorf("example modules %v, want the defaults %v", got, wantNames)
	}
	c.Modules, want.Modules = nil, nil
	if !reflect.DeepEqual(c, want) {
		t.Errorf("example differs from Default():\n got %+v\nwant %+v", c, want)
	}
}

// schemaKeys lists every key of the configuration types as a dotted path,
// with "[]" for the elements of an array of tables; modules are left out.
func schemaKeys(prefix string, t reflect.Type) []string {
	var keys []string
	fields := structFields(t)
	for name, i := range fields {
		f := t.Field(i)
		key := joinKey(prefix, name)
		switch {
		case f.Type == reflect.TypeFor[map[string]Module](), f.Type.Kind() == reflect.Map:
			// Tables keyed by name ([modules.<name>], [auth.hosts."<host>"])
			// have no default entries to show.
		case f.Type.Kind() == reflect.Struct:
			keys = append(keys, schemaKeys(key, f.Type)...)
		case f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.Struct:
			keys = append(keys, schemaKeys(key+"[]", f.Type.Elem())...)
		default:
			keys = append(keys, key)
		}
	}
	slices.Sort(keys)
	return keys
}

// TestExampleDocumentsEveryKey checks that the example file sets every key
// (and so shows its default), and that docs/configuration.md has a table
// row for every key.
func TestExampleDocumentsEveryKey(t *testing.T) {
	data, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	index := regexp.MustCompile(`\[\d+\]`)
	inExample := map[string]bool{}
	for key := range buildPositions(data) {
		inExample[index.ReplaceAllString(key, "[]")] = true
	}
	docs, err := os.ReadFile("../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	keys := schemaKeys("", reflect.TypeFor[Config]())
	if len(keys) < 30 {
		t.Fatalf("schema has only %d keys: %v", len(keys), keys)
	}
	for _, key := range keys {
		t.Run(key, func(t *testing.T) {
			if !inExample[key] {
				t.Errorf("%s is not set in %s", key, examplePath)
			}
			leaf := key[strings.LastIndexByte(key, '.')+1:]
			if !strings.Contains(string(docs), "| `"+leaf+"` |") {
				t.Errorf("docs/configuration.md has no table row for %s", key)
			}
		})
	}
	for _, table := range []string{"[general]", "[[listen.c2s]]", "[listen.http]", "[auth]", "[storage]", "[storage.sqlite]", "[storage.postgres]", "[tls]", "[log]", "[api]", "[modules.<name>]"} {
		if !strings.Contains(string(docs), "## `"+table+"`") && !strings.Contains(string(docs), "### `"+table+"`") {
			t.Errorf("docs/configuration.md has no section for %s", table)
		}
	}
}

func TestSQLitePath(t *testing.T) {
	tests := []struct {
		name, dataDir, path, want string
	}{
		{"default", "./data", "", "data/meerkat.db"},
		{"absolute data dir", "/var/lib/meerkat", "", "/var/lib/meerkat/meerkat.db"},
		{"explicit path", "/var/lib/meerkat", "/srv/db/m.db", "/srv/db/m.db"},
		{"relative path kept", "/var/lib/meerkat", "m.db", "m.db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			c.General.DataDir = tt.dataDir
			c.Storage.SQLite.Path = tt.path
			if got := c.SQLitePath(); got != tt.want {
				t.Errorf("SQLitePath() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDuration(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    time.Duration
		wantErr string
	}{
		{"seconds", "30s", 30 * time.Second, ""},
		{"compound", "1h30m", 90 * time.Minute, ""},
		{"millis", "250ms", 250 * time.Millisecond, ""},
		{"zero", "0s", 0, ""},
		{"bare zero", "0", 0, ""},
		{"no unit", "30", 0, `invalid duration "30": write a number and a unit, such as "30s", "5m" or "1h30m"`},
		{"words", "5 minutes", 0, `invalid duration "5 minutes": write a number and a unit, such as "30s", "5m" or "1h30m"`},
		{"negative", "-5s", 0, `invalid duration "-5s": must not be negative`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d Duration
			err := d.UnmarshalText([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("UnmarshalText(%q) error = %v, want %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("UnmarshalText(%q): %v", tt.in, err)
			}
			if d.D() != tt.want {
				t.Errorf("UnmarshalText(%q) = %v, want %v", tt.in, d.D(), tt.want)
			}
			text, _ := d.MarshalText()
			var back Duration
			if err := back.UnmarshalText(text); err != nil || back != d {
				t.Errorf("round trip of %v through %q gave %v, %v", d, text, back, err)
			}
		})
	}
}

func TestModuleNames(t *testing.T) {
	c, err := Parse("meerkat.toml", []byte(`
[modules.zeta]
[modules.alpha]
[modules.mid]
x = 1
`))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.ModuleNames(), []string{"zeta", "alpha", "mid"}; !slices.Equal(got, want) {
		t.Errorf("ModuleNames() = %v, want %v (file order)", got, want)
	}
	if m := c.Modules["alpha"]; m.Name != "alpha" || m.Line != 3 {
		t.Errorf("Modules[alpha] = name %q line %d, want alpha, 3", m.Name, m.Line)
	}
}

func TestSnakeCase(t *testing.T) {
	tests := map[string]string{
		"MaxStanzaBytes":   "max_stanza_bytes",
		"SCRAMIterations":  "scram_iterations",
		"DSN":              "dsn",
		"StartTLSRequired": "start_tls_required",
		"HTTP":             "http",
		"C2S":              "c2s",
		"Rooms":            "rooms",
		"MaxRoomsPerUser2": "max_rooms_per_user2",
		"Base64Data":       "base64_data",
	}
	for in, want := range tests {
		t.Run(in, func(t *testing.T) {
			if got := snakeCase(in); got != want {
				t.Errorf("snakeCase(%q) = %q, want %q", in, got, want)
			}
		})
	}
}
