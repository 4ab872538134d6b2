package config

import (
	"cmp"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Config is the whole server configuration: the defaults, overlaid with
// what the file sets. Each field is one top-level table of the file.
type Config struct {
	// Path is the file the configuration was read from, "" for Default.
	Path string `toml:"-"`

	// General holds the served domains and server-wide settings: [general].
	General General `toml:"general"`
	// Listen holds the network listeners: [[listen.c2s]] and [listen.http].
	Listen Listen `toml:"listen"`
	// Auth holds how clients authenticate: [auth].
	Auth Auth `toml:"auth"`
	// Storage holds the database: [storage].
	Storage Storage `toml:"storage"`
	// TLS holds the certificate and protocol versions: [tls].
	TLS TLS `toml:"tls"`
	// Log holds the log level and format: [log].
	Log Log `toml:"log"`
	// API holds the HTTP API for backend apps and admin tools: [api].
	API API `toml:"api"`
	// Modules holds one [modules.<name>] table per module to run. A
	// module runs when its table is present, even if empty; each module
	// decodes its own table with Module.Decode. Default: none.
	Modules map[string]Module `toml:"modules"`

	// pos records where each key was defined in the file, for the lines
	// of Validate's errors. It is nil for a Config built in code.
	pos positions
}

// General is the [general] table.
type General struct {
	// Hosts lists the XMPP domains this server serves: the domainpart of
	// its users' JIDs. Names are lowercased; each must be a valid domain
	// name (an IPv4 address or a bracketed IPv6 address is also accepted)
	// and may appear once. Write internationalized names in their xn--
	// form. Key: hosts. Default: ["localhost"].
	Hosts []string `toml:"hosts"`
	// DataDir is the folder for the server's own files: the SQLite
	// database and the generated TLS certificate. A relative path is taken
	// from the working directory. Key: data_dir. Default: "./data".
	DataDir string `toml:"data_dir"`
	// ShutdownGrace is how long a stopping server waits for sessions to
	// flush and close before it stops anyway. Key: shutdown_grace.
	// Default: "10s".
	ShutdownGrace Duration `toml:"shutdown_grace"`
	// MemoryTrimInterval is how often the server checks whether it has
	// been quiet (allocated less than 1/8 of its live heap since the last
	// check) while holding much more memory than it uses, and if so hands
	// the spare memory back to the operating system, as after a login
	// storm. "0s" never does. Key: memory_trim_interval. Default: "10s".
	MemoryTrimInterval Duration `toml:"memory_trim_interval"`
	// GCPercent is the Go collector's GOGC: how far the heap may grow past
	// its live size, in percent, before the next collection. Go's own 100
	// makes a busy server collect so often that the collector's marking
	// shows in message latency on one core; 400 collects a quarter as
	// often, and memory_limit and memory_trim_interval keep the larger
	// heap in check. While the live heap grows (logins, joins) the server
	// collects at 100, so that long-lived state is packed densely (see
	// internal/gctune). The GOGC environment variable, when set, wins.
	// Key: gc_percent. Default: 400.
	GCPercent int `toml:"gc_percent"`
	// MemoryLimit is the Go runtime's soft memory limit (GOMEMLIMIT): near
	// it the collector runs as often as it must, whatever gc_percent says.
	// "auto" takes three quarters of the machine's memory or of the
	// cgroup's limit, whichever is smaller; "off" sets none; or a size such
	// as "2GiB". The GOMEMLIMIT environment variable, when set, wins.
	// Key: memory_limit. Default: "auto".
	MemoryLimit MemoryLimit `toml:"memory_limit"`
}

// Listen is the [listen] table.
type Listen struct {
	// C2S lists the client listeners, one [[listen.c2s]] table each. When
	// the file has any, they replace the two default listeners. Key: c2s.
	// Default: ":5222" with mode "starttls" and ":5223" with mode "direct".
	C2S []C2S `toml:"c2s"`
	// HTTP is the HTTP listener (metrics, health, API, WebSocket, BOSH):
	// [listen.http]. Key: http.
	HTTP HTTP `toml:"http"`
}

// Client listener modes, the values of C2S.Mode.
const (
	// ModeStartTLS accepts plain TCP and upgrades it with STARTTLS.
	ModeStartTLS = "starttls"
	// ModeDirect starts TLS as soon as the client connects (XEP-0368).
	ModeDirect = "direct"
	// ModePlain never uses TLS. Use it only in tests or behind a proxy
	// that terminates TLS.
	ModePlain = "plain"
)

// Values of C2S.ResourceConflict.
const (
	// ConflictReplace lets a new session take a resource that is in use;
	// the old session ends with a <conflict/> stream error.
	ConflictReplace = "replace"
	// ConflictRefuse refuses a bind to a resource that is in use.
	ConflictRefuse = "refuse"
)

// C2S is one [[listen.c2s]] table: a TCP listener for clients.
type C2S struct {
	// Address is the host:port to listen on, such as ":5222" (every
	// interface) or "127.0.0.1:5222". Port 0 picks a free port. Key:
	// address. Required.
	Address string `toml:"address"`
	// Mode is how the listener uses TLS: "starttls" (plain TCP upgraded
	// with STARTTLS), "direct" (TLS from the first byte, XEP-0368) or
	// "plain" (no TLS at all: only for tests and behind a proxy that
	// terminates TLS). Key: mode. Default: "starttls".
	Mode string `toml:"mode"`
	// StartTLSRequired refuses authentication before STARTTLS when mode
	// is "starttls". It is ignored in the "direct" and "plain" modes. Key:
	// starttls_required. Default: true.
	StartTLSRequired bool `toml:"starttls_required"`
	// MaxStanzaBytes is the largest stanza a client may send, in bytes; a
	// larger one ends the stream with a policy-violation error. Key:
	// max_stanza_bytes. Default: 65536. Minimum: 1024.
	MaxStanzaBytes int `toml:"max_stanza_bytes"`
	// MaxDepth is the deepest nesting of XML elements allowed in a stanza.
	// Key: max_depth. Default: 32. Minimum: 1.
	MaxDepth int `toml:"max_depth"`
	// MaxAttrs is the most attributes allowed on one element. Key:
	// max_attrs. Default: 64. Minimum: 1.
	MaxAttrs int `toml:"max_attrs"`
	// HandshakeTimeout is the time a new connection has to finish the
	// stream header, TLS, authentication and resource binding. Key:
	// handshake_timeout. Default: "30s". Must be more than zero.
	HandshakeTimeout Duration `toml:"handshake_timeout"`
	// IdleTimeout closes a connection that sent no bytes for this long,
	// with a connection-timeout stream error. "0s" never closes idle
	// connections. Key: idle_timeout. Default: "10m".
	IdleTimeout Duration `toml:"idle_timeout"`
	// ParkAfter is how long a bound session may send nothing before the
	// server releases its reader goroutine and read buffer until its next
	// byte; it is what keeps an idle session small. "0s" never parks. Key:
	// park_after. Default: "2s".
	ParkAfter Duration `toml:"park_after"`
	// OutboundQueueBytes caps the bytes waiting to be sent to one client.
	// A client that lets more pile up is too slow and is disconnected.
	// Key: outbound_queue_bytes. Default: 1048576 (1 MiB). Minimum:
	// max_stanza_bytes.
	OutboundQueueBytes int `toml:"outbound_queue_bytes"`
	// MaxAuthFailures is how many failed authentication attempts a
	// connection may make before it is closed. Key: max_auth_failures.
	// Default: 3. Minimum: 1.
	MaxAuthFailures int `toml:"max_auth_failures"`
	// ResourceConflict decides what happens when a client binds a
	// resource that another session of the same account holds: "replace"
	// (the new session wins; the old one ends with a <conflict/> stream
	// error) or "refuse" (the bind fails with a conflict error). Key:
	// resource_conflict. Default: "replace".
	ResourceConflict string `toml:"resource_conflict"`
	// LegacySession advertises the optional RFC 3921 <session/> feature
	// that some old clients wait for. Key: legacy_session. Default: true.
	LegacySession bool `toml:"legacy_session"`
}

// SetDefaults sets every field but Address to its default. Decoding calls
// it on each [[listen.c2s]] table before reading the table's keys.
func (c *C2S) SetDefaults() {
	*c = C2S{
		Address:            c.Address,
		Mode:               ModeStartTLS,
		StartTLSRequired:   true,
		MaxStanzaBytes:     65536,
		MaxDepth:           32,
		MaxAttrs:           64,
		HandshakeTimeout:   Duration(30 * time.Second),
		IdleTimeout:        Duration(10 * time.Minute),
		ParkAfter:          Duration(2 * time.Second),
		OutboundQueueBytes: 1 << 20,
		MaxAuthFailures:    3,
		ResourceConflict:   ConflictReplace,
		LegacySession:      true,
	}
}

// HTTP is the [listen.http] table: the HTTP listener that serves /metrics,
// /healthz, /readyz, the API, WebSocket and BOSH.
type HTTP struct {
	// Address is the host:port to listen on. Key: address. Default:
	// ":5280".
	Address string `toml:"address"`
	// Enabled starts the HTTP listener. Key: enabled. Default: true.
	Enabled bool `toml:"enabled"`
	// TLS serves the HTTP listener over TLS (https, wss) with the [tls]
	// certificate. Key: tls. Default: false (run it behind a
	// TLS-terminating proxy, or on loopback).
	TLS bool `toml:"tls"`
	// TrustedProxies lists the reverse proxies (addresses or CIDR
	// prefixes) whose X-Forwarded-Proto/Forwarded and X-Forwarded-For
	// headers are believed: a request they mark https counts as TLS for
	// SASL (PLAIN is offered, channel binding is not). Key:
	// trusted_proxies. Default: [] (nobody).
	TrustedProxies []string `toml:"trusted_proxies"`
	// CORSOrigins lists the web origins (such as
	// "https://chat.example.com", path.Match patterns, or "*") whose pages
	// may use BOSH and WebSocket from another origin. Key: cors_origins.
	// Default: [] (same origin only).
	CORSOrigins []string `toml:"cors_origins"`
	// DemoPage serves the demo chat page at "/". Key: demo_page. Default:
	// false.
	DemoPage bool `toml:"demo_page"`
	// WebSocket is [listen.http.websocket]. Key: websocket.
	WebSocket WebSocket `toml:"websocket"`
	// BOSH is [listen.http.bosh]. Key: bosh.
	BOSH BOSH `toml:"bosh"`
}

func defaultHTTP() HTTP {
	h := HTTP{Address: ":5280", Enabled: true}
	h.setWebDefaults()
	return h
}

// The SASL mechanisms Meerkat supports, the values allowed in
// Auth.Mechanisms.
const (
	MechSCRAMSHA512Plus = "SCRAM-SHA-512-PLUS"
	MechSCRAMSHA256Plus = "SCRAM-SHA-256-PLUS"
	MechSCRAMSHA1Plus   = "SCRAM-SHA-1-PLUS"
	MechSCRAMSHA512     = "SCRAM-SHA-512"
	MechSCRAMSHA256     = "SCRAM-SHA-256"
	MechSCRAMSHA1       = "SCRAM-SHA-1"
	MechPlain           = "PLAIN"
)

// Mechanisms returns every SASL mechanism Meerkat supports, strongest
// first. It is the default of Auth.Mechanisms.
func Mechanisms() []string {
	return []string{
		MechSCRAMSHA512Plus, MechSCRAMSHA256Plus, MechSCRAMSHA1Plus,
		MechSCRAMSHA512, MechSCRAMSHA256, MechSCRAMSHA1,
		MechPlain,
	}
}

// Auth is the [auth] table.
type Auth struct {
	// Mechanisms lists the SASL mechanisms offered to clients, in this
	// order. Names are upper case, from: SCRAM-SHA-512-PLUS,
	// SCRAM-SHA-256-PLUS, SCRAM-SHA-1-PLUS, SCRAM-SHA-512, SCRAM-SHA-256,
	// SCRAM-SHA-1, PLAIN. The -PLUS forms need TLS (channel binding) and
	// PLAIN is only offered over TLS. Key: mechanisms. Default: all of
	// them, in that order.
	Mechanisms []string `toml:"mechanisms"`
	// SCRAMIterations is the PBKDF2 iteration count stored with new and
	// changed passwords. Existing passwords keep their count until they
	// change. Key: scram_iterations. Default: 4096. Minimum: 4096.
	SCRAMIterations int `toml:"scram_iterations"`
	// RejectCBDowngrade fails SCRAM logins whose GS2 flag says "I could
	// bind a channel but saw no -PLUS" while -PLUS is offered (RFC 5802 §6,
	// strictly read). Off by default: clients that send it today support
	// only tls-unique, which TLS 1.3 lacks and Meerkat never offers.
	// Key: reject_cb_downgrade. Default: false.
	RejectCBDowngrade bool `toml:"reject_cb_downgrade"`
	// Backends lists, in the order they are tried, where the accounts of
	// every host are checked: "internal" (SCRAM keys in the storage
	// database), "wordpress", "http", "jwt", and "anonymous" (SASL
	// ANONYMOUS guests). Key: backends. Default: ["internal"].
	Backends []string `toml:"backends"`
	// Hosts overrides Backends for some hosts: [auth.hosts."example.com"].
	// Each key must be one of general.hosts. Key: hosts. Default: none.
	Hosts map[string]AuthHost `toml:"hosts"`
	// RateLimit bounds failed logins: [auth.rate_limit].
	RateLimit RateLimit `toml:"rate_limit"`
	// WordPress configures the "wordpress" backend: [auth.wordpress].
	WordPress WordPress `toml:"wordpress"`
	// HTTP configures the "http" backend: [auth.http].
	HTTP AuthHTTP `toml:"http"`
	// JWT configures the "jwt" backend: [auth.jwt].
	JWT JWT `toml:"jwt"`
}

// Auth backend names, the values of Auth.Backends.
const (
	BackendInternal  = "internal"
	BackendWordPress = "wordpress"
	BackendHTTP      = "http"
	BackendJWT       = "jwt"
	BackendAnonymous = "anonymous"
)

// AuthBackends returns every backend name, in the order of the docs.
func AuthBackends() []string {
	return []string{BackendInternal, BackendWordPress, BackendHTTP, BackendJWT, BackendAnonymous}
}

// AuthHost is an [auth.hosts."<host>"] table.
type AuthHost struct {
	// Backends replaces auth.backends for this host. Key: backends.
	// Required.
	Backends []string `toml:"backends"`
}

// BackendsFor returns the backends of host; [auth.hosts] keys match
// without regard to case, as domain names do.
func (a *Auth) BackendsFor(host string) []string {
	if h, ok := a.Hosts[host]; ok {
		return h.Backends
	}
	for name, h := range a.Hosts {
		if strings.EqualFold(name, host) {
			return h.Backends
		}
	}
	return a.Backends
}

// RateLimit is the [auth.rate_limit] table. After per_ip failed logins
// from one address, or per_account for one account, within window, further
// attempts fail (with the same not-authorized) until the window ends.
type RateLimit struct {
	// PerIP is the failures allowed per client address. 0 disables the
	// limit. Key: per_ip. Default: 20.
	PerIP int `toml:"per_ip"`
	// PerAccount is the failures allowed per account. 0 disables the
	// limit. Key: per_account. Default: 10.
	PerAccount int `toml:"per_account"`
	// Window is how long failures count. Key: window. Default: "1m".
	Window Duration `toml:"window"`
}

// WordPress is the [auth.wordpress] table.
type WordPress struct {
	// DSN is the WordPress database, as a go-sql-driver/mysql DSN:
	// "user:password@tcp(127.0.0.1:3306)/wordpress". Key: dsn. Required
	// when the backend is used.
	DSN string `toml:"dsn"`
	// TablePrefix is wp-config.php's $table_prefix. Key: table_prefix.
	// Default: "wp_".
	TablePrefix string `toml:"table_prefix"`
	// LoggedInKey and LoggedInSalt are wp-config.php's LOGGED_IN_KEY and
	// LOGGED_IN_SALT. Keys: logged_in_key, logged_in_salt. Default: "".
	LoggedInKey  string `toml:"logged_in_key"`
	LoggedInSalt string `toml:"logged_in_salt"`
	// WPConfig is a wp-config.php to read LOGGED_IN_KEY and
	// LOGGED_IN_SALT from instead. Key: wp_config. Default: "".
	WPConfig string `toml:"wp_config"`
	// Cookies accepts the logged-in cookie as the password. Key: cookies.
	// Default: true.
	Cookies bool `toml:"cookies"`
	// Passwords accepts the account password. Key: passwords. Default:
	// true.
	Passwords bool `toml:"passwords"`
	// HTTPCookies accepts the wordpress_logged_in_* cookie of a WebSocket
	// or BOSH request (SASL EXTERNAL). Key: http_cookies. Default: false.
	HTTPCookies bool `toml:"http_cookies"`
	// CacheTTL keeps successful password checks. Key: cache_ttl. Default:
	// "5m".
	CacheTTL Duration `toml:"cache_ttl"`
	// QueryTimeout bounds each query. Key: query_timeout. Default: "5s".
	QueryTimeout Duration `toml:"query_timeout"`
}

// AuthHTTP is the [auth.http] table (MongooseIM's HTTP auth contract).
type AuthHTTP struct {
	// BaseURL is where check_password and the other methods live. Key:
	// base_url. Required when the backend is used.
	BaseURL string `toml:"base_url"`
	// BasicAuth is "user:password" for the service. Key: basic_auth.
	// Default: "".
	BasicAuth string `toml:"basic_auth"`
	// Timeout bounds each call. Key: timeout. Default: "5s".
	Timeout Duration `toml:"timeout"`
	// MaxConns bounds the pooled connections. Key: max_conns. Default: 10.
	MaxConns int `toml:"max_conns"`
	// CacheTTL keeps successful checks. Key: cache_ttl. Default: "0s".
	CacheTTL Duration `toml:"cache_ttl"`
}

// JWT is the [auth.jwt] table.
type JWT struct {
	// Algorithm is "HS256", "RS256" or "ES256". Key: algorithm. Default:
	// "HS256".
	Algorithm string `toml:"algorithm"`
	// Secret is the HS256 key (32 bytes or more). Key: secret. Default: "".
	Secret string `toml:"secret"`
	// SecretFile holds the HS256 key instead. Key: secret_file. Default: "".
	SecretFile string `toml:"secret_file"`
	// PublicKeyFile is the PEM public key for RS256 and ES256. Key:
	// public_key_file. Default: "".
	PublicKeyFile string `toml:"public_key_file"`
	// UserClaim names the claim holding the username. Key: user_claim.
	// Default: "sub".
	UserClaim string `toml:"user_claim"`
	// Issuer and Audience, when set, must match iss and aud. Keys: issuer,
	// audience. Default: "".
	Issuer   string `toml:"issuer"`
	Audience string `toml:"audience"`
	// Leeway tolerates clock skew on exp and nbf. Key: leeway. Default:
	// "0s".
	Leeway Duration `toml:"leeway"`
	// RequireExp refuses tokens without an exp claim, which would
	// otherwise log in forever: a leaked token could never be outlived.
	// Set it to false only for an issuer that cannot set exp. Key:
	// require_exp. Default: true.
	RequireExp bool `toml:"require_exp"`
}

// Storage backends, the values of Storage.Backend.
const (
	// StorageSQLite keeps everything in one SQLite file: no database
	// server needed.
	StorageSQLite = "sqlite"
	// StoragePostgres uses a PostgreSQL server.
	StoragePostgres = "postgres"
)

// Storage is the [storage] table.
type Storage struct {
	// Backend is the database: "sqlite" (embedded, a file in data_dir) or
	// "postgres". Key: backend. Default: "sqlite".
	Backend string `toml:"backend"`
	// AutoMigrate applies pending database migrations when the server
	// starts. Set it to false to run `meerkat migrate` yourself. Key:
	// auto_migrate. Default: true.
	AutoMigrate bool `toml:"auto_migrate"`
	// SQLite is the [storage.sqlite] table, used when backend is "sqlite".
	SQLite SQLite `toml:"sqlite"`
	// Postgres is the [storage.postgres] table, used when backend is
	// "postgres".
	Postgres Postgres `toml:"postgres"`
}

// SQLite is the [storage.sqlite] table.
type SQLite struct {
	// Path is the database file. "" means meerkat.db in data_dir. A
	// relative path is taken from the working directory. Key: path.
	// Default: "".
	Path string `toml:"path"`
}

// Postgres is the [storage.postgres] table.
type Postgres struct {
	// DSN is the PostgreSQL connection string, as a URL
	// ("postgres://user:password@host:5432/meerkat?sslmode=verify-full")
	// or as key=value pairs. Key: dsn. Required when backend is
	// "postgres". Default: "".
	DSN string `toml:"dsn"`
	// MaxConns is the most connections the server opens to the database.
	// Key: max_conns. Default: 16. Minimum: 1.
	MaxConns int `toml:"max_conns"`
}

// TLS is the [tls] table.
type TLS struct {
	// CertFile is a PEM file holding the certificate chain, leaf first.
	// Set both cert_file and key_file, or neither: with neither, the
	// server generates a self-signed ECDSA P-256 certificate for its hosts
	// once and keeps it in data_dir. Key: cert_file. Default: "".
	CertFile string `toml:"cert_file"`
	// KeyFile is a PEM file holding the certificate's private key. Key:
	// key_file. Default: "".
	KeyFile string `toml:"key_file"`
	// MinVersion is the oldest TLS version accepted: "1.2" or "1.3". Key:
	// min_version. Default: "1.2".
	MinVersion string `toml:"min_version"`
}

// Log is the [log] table.
type Log struct {
	// Level is the least severe level written: "debug", "info", "warn" or
	// "error". Key: level. Default: "info".
	Level string `toml:"level"`
	// Format is "text" (key=value pairs, for people) or "json" (one
	// object per line, for log collectors). Key: format. Default: "text".
	Format string `toml:"format"`
}

// API is the [api] table: the HTTP API under /api/v1 on the HTTP listener
// (docs/api.md). It is off by default, and needs credentials when on.
type API struct {
	// Enabled serves the API. It needs listen.http enabled and at least
	// one credential: tokens, token_file, hmac_secret or hmac_secret_file.
	// Key: enabled. Default: false.
	Enabled bool `toml:"enabled"`
	// Tokens are the accepted bearer tokens, each at least 16 characters.
	// Prefer token_file, which keeps secrets out of the configuration.
	// Key: tokens. Default: [].
	Tokens []string `toml:"tokens"`
	// TokenFile is a file of bearer tokens, one per line; blank lines and
	// lines starting with # are skipped. Read at start. Key: token_file.
	// Default: "".
	TokenFile string `toml:"token_file"`
	// HMACSecret is the shared secret of signed requests, at least 16
	// characters; "" turns signed requests off. Key: hmac_secret.
	// Default: "".
	HMACSecret string `toml:"hmac_secret"`
	// HMACSecretFile is a file holding the shared secret (surrounding
	// white space is trimmed). Read at start. Key: hmac_secret_file.
	// Default: "".
	HMACSecretFile string `toml:"hmac_secret_file"`
	// TimestampWindow is how far a signed request's timestamp may be from
	// the server's clock, either way; a signature cannot be used twice
	// within it. Key: timestamp_window. Default: "5m". From "1s" to "1h".
	TimestampWindow Duration `toml:"timestamp_window"`
	// ServiceJID sends the messages that name no sender, and posts into
	// rooms: a served domain or an account on one. "" means the first of
	// general.hosts. Key: service_jid. Default: "".
	ServiceJID string `toml:"service_jid"`
	// MaxBodyBytes bounds a request body; a larger one gets 413
	// body_too_large. Key: max_body_bytes. Default: 65536. Minimum: 1024.
	MaxBodyBytes int `toml:"max_body_bytes"`
}

// Default returns the configuration used when a file sets nothing: one
// host "localhost", client listeners on :5222 (STARTTLS) and :5223 (direct
// TLS), HTTP on :5280, SQLite in ./data and a self-signed certificate.
func Default() *Config {
	starttls := C2S{Address: ":5222"}
	starttls.SetDefaults()
	direct := C2S{Address: ":5223"}
	direct.SetDefaults()
	direct.Mode = ModeDirect
	return &Config{
		General: General{
			Hosts:              []string{"localhost"},
			DataDir:            "./data",
			ShutdownGrace:      Duration(10 * time.Second),
			MemoryTrimInterval: Duration(10 * time.Second),
			GCPercent:          400,
		},
		Listen: Listen{
			C2S:  []C2S{starttls, direct},
			HTTP: defaultHTTP(),
		},
		Auth: Auth{
			Mechanisms:      Mechanisms(),
			SCRAMIterations: 4096,
			Backends:        []string{BackendInternal},
			RateLimit:       RateLimit{PerIP: 20, PerAccount: 10, Window: Duration(time.Minute)},
			WordPress: WordPress{TablePrefix: "wp_", Cookies: true, Passwords: true,
				CacheTTL: Duration(5 * time.Minute), QueryTimeout: Duration(5 * time.Second)},
			HTTP: AuthHTTP{Timeout: Duration(5 * time.Second), MaxConns: 10},
			JWT:  JWT{Algorithm: "HS256", UserClaim: "sub", RequireExp: true},
		},
		Storage: Storage{
			Backend:     StorageSQLite,
			AutoMigrate: true,
			Postgres:    Postgres{MaxConns: 16},
		},
		TLS:     TLS{MinVersion: "1.2"},
		Log:     Log{Level: "info", Format: "text"},
		API:     API{Tokens: []string{}, TimestampWindow: Duration(5 * time.Minute), MaxBodyBytes: 65536},
		Modules: DefaultModules(),
	}
}

// defaultModules are switched on when the file has no [modules.*] table:
// what a desktop client expects on first login (RFC 6121 roster and
// presence, offline messages, disco, vCard, blocking, ping, version, time,
// last activity, private storage) and the multi-user chat service that
// sites embed XMPP for. In-band registration stays off.
var defaultModules = [...]string{
	"roster", "presence", "offline", "disco", "vcard", "blocking",
	"ping", "version", "time", "last", "private", "muc",
}

// DefaultModules returns the module tables used when a file configures
// none, each empty so every module takes its own defaults.
func DefaultModules() map[string]Module {
	m := make(map[string]Module, len(defaultModules))
	for _, name := range defaultModules {
		m[name] = Module{Name: name, Raw: map[string]any{}, key: joinKey("modules", name)}
	}
	return m
}

// SQLitePath returns the SQLite database file: storage.sqlite.path when
// set, otherwise meerkat.db in data_dir.
func (c *Config) SQLitePath() string {
	if c.Storage.SQLite.Path != "" {
		return c.Storage.SQLite.Path
	}
	return filepath.Join(c.General.DataDir, "meerkat.db")
}

// ModuleNames returns the names of the configured modules in the order
// their tables appear in the file (by line, then by name), the order in
// which to start them.
func (c *Config) ModuleNames() []string {
	names := make([]string, 0, len(c.Modules))
	for name := range c.Modules {
		names = append(names, name)
	}
	slices.SortFunc(names, func(a, b string) int {
		return cmp.Or(cmp.Compare(c.Modules[a].Line, c.Modules[b].Line), strings.Compare(a, b))
	})
	return names
}
