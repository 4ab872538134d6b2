// Package wordpress authenticates XMPP users against a WordPress site's
// database (MySQL or MariaDB): with the site's "logged in" cookie, in the
// legacy three-part form of WordPress before 4.0 and the four-part form
// with a session token of 4.0 and later, or with the account password
// (phpass, bcrypt and WordPress 6.8's pre-hashed bcrypt). Over WebSocket
// and BOSH it can also take the wordpress_logged_in_* cookie of the HTTP
// request itself, through SASL EXTERNAL.
//
// The JID localpart of a user is its user_login escaped with XEP-0106
// (EscapeLocalpart).
package wordpress

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/go-sql-driver/mysql"

	"github.com/meerkat-xmpp/meerkat/auth"
)

// CookiePrefix starts the name of WordPress's logged-in cookie; the rest
// is COOKIEHASH, the MD5 of the site URL.
const CookiePrefix = "wordpress_logged_in_"

// Config configures a Backend.
type Config struct {
	// DSN is the go-sql-driver/mysql DSN of the WordPress database, as
	// "user:password@tcp(127.0.0.1:3306)/wordpress". Read-only access to
	// the users and usermeta tables is enough.
	DSN string
	// TablePrefix is wp-config.php's $table_prefix; "" means "wp_".
	TablePrefix string
	// Secrets key the logged-in cookie.
	Secrets Secrets
	// Cookies accepts a logged-in cookie as the PLAIN password.
	Cookies bool
	// Passwords accepts the account password as the PLAIN password.
	Passwords bool
	// HTTPCookies accepts the wordpress_logged_in_* cookie of the HTTP
	// request of a WebSocket or BOSH connection, through SASL EXTERNAL.
	HTTPCookies bool
	// CacheTTL keeps successful password checks this long, keyed by the
	// stored hash, so a changed password takes effect at once; 0 caches
	// nothing. Cookies are never cached: checking one costs two HMACs.
	CacheTTL time.Duration
	// QueryTimeout bounds each database query; 0 means 5 s.
	QueryTimeout time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

var prefixRE = regexp.MustCompile(`^[A-Za-z0-9_]*$`)

// Validate reports a table prefix that is not a plain SQL identifier and a
// malformed DSN.
func (c Config) Validate() error {
	var errs []error
	if !prefixRE.MatchString(c.TablePrefix) {
		errs = append(errs, fmt.Errorf("table prefix %q: only letters, digits and _", c.TablePrefix))
	}
	if _, err := mysql.ParseDSN(c.DSN); err != nil {
		errs = append(errs, fmt.Errorf("dsn: %w", err))
	}
	if (c.Cookies || c.HTTPCookies) && (c.Secrets.LoggedInKey == "" || c.Secrets.LoggedInSalt == "") {
		errs = append(errs, errors.New("cookies need logged_in_key and logged_in_salt"))
	}
	return errors.Join(errs...)
}

// Backend is an auth.PasswordChecker and auth.ExternalChecker over a
// WordPress database. It is safe for concurrent use.
type Backend struct {
	cfg   Config
	db    *sql.DB
	qUser string

	mu    sync.Mutex
	cache map[[sha256.Size]byte]time.Time
}

var (
	_ auth.PasswordChecker = (*Backend)(nil)
	_ auth.ExternalChecker = (*Backend)(nil)
)

// maxCache bounds the password cache; past it, it is emptied.
const maxCache = 50_000

// Open returns a Backend over the database cfg.DSN names. It does not
// connect yet: a WordPress database that is down fails logins with
// temporary-auth-failure, not the server's start.
func Open(cfg Config) (*Backend, error) {
	if cfg.TablePrefix == "" {
		cfg.TablePrefix = "wp_"
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("wordpress: %w", err)
	}
	if cfg.QueryTimeout <= 0 {
		cfg.QueryTimeout = 5 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	dsn, err := mysql.ParseDSN(cfg.DSN)
	if err != nil {
		return nil, fmt.Errorf("wordpress: dsn: %w", err)
	}
	if dsn.Timeout == 0 {
		dsn.Timeout = cfg.QueryTimeout
	}
	// One round trip per query instead of prepare, execute and close: the
	// driver escapes the two parameters itself (safe with utf8mb4, the
	// charset WordPress uses).
	dsn.InterpolateParams = true
	db, err := sql.Open("mysql", dsn.FormatDSN())
	if err != nil {
		return nil, fmt.Errorf("wordpress: %w", err)
	}
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(4)
	db.SetConnMaxLifetime(5 * time.Minute)
	p := cfg.TablePrefix
	return &Backend{
		cfg: cfg, db: db,
		// One round trip: the user and, for modern cookies, its sessions.
		qUser: "SELECT u.ID, u.user_login, u.user_pass, (SELECT m.meta_value FROM " + p + "usermeta m" +
			" WHERE m.user_id = u.ID AND m.meta_key = 'session_tokens' ORDER BY m.umeta_id DESC LIMIT 1)" +
			" FROM " + p + "users u WHERE u.user_login = ?",
		cache: make(map[[sha256.Size]byte]time.Time),
	}, nil
}

// Close closes the database pool.
func (b *Backend) Close() error { return b.db.Close() }

// Name returns "wordpress".
func (b *Backend) Name() string { return "wordpress" }

type wpUser struct {
	id       uint64
	login    string
	pass     string
	sessions []byte // the session_tokens meta value; nil when none
}

// user loads the row of login; auth.ErrUnknownUser when there is none.
func (b *Backend) user(ctx context.Context, login string) (wpUser, error) {
	ctx, cancel := context.WithTimeout(ctx, b.cfg.QueryTimeout)
	defer cancel()
	var u wpUser
	err := b.db.QueryRowContext(ctx, b.qUser, login).Scan(&u.id, &u.login, &u.pass, &u.sessions)
	if errors.Is(err, sql.ErrNoRows) {
		return u, auth.ErrUnknownUser
	}
	return u, err
}

// checkCookie verifies a cookie for the user u: signature, expiry, login
// and, in the modern form, the session token against u's session_tokens.
func (b *Backend) checkCookie(c Cookie, u wpUser) bool {
	now := b.cfg.Now()
	if !b.cfg.Secrets.Verify(c, u.login, u.pass, now) {
		return false
	}
	return c.Legacy() || SessionValid(u.sessions, c.Token, now)
}

// CheckPassword accepts, for the account whose localpart is authcid, a
// logged-in cookie (when Config.Cookies) or the account password (when
// Config.Passwords). A secret that parses as a cookie and fails is still
// tried as a password, since a password may look like anything.
func (b *Backend) CheckPassword(ctx context.Context, _ auth.ConnInfo, authcid, secret string) (string, error) {
	login := UnescapeLocalpart(authcid)
	if !validLogin(login) {
		return "", auth.ErrUnknownUser
	}
	u, err := b.user(ctx, login)
	if err != nil {
		return "", err
	}
	if b.cfg.Cookies {
		if c, err := ParseCookie(unescapeCookie(secret)); err == nil {
			if b.checkCookie(c, u) {
				return EscapeLocalpart(u.login), nil
			}
		}
	}
	if b.cfg.Passwords && b.checkHash(secret, u.pass) {
		return EscapeLocalpart(u.login), nil
	}
	return "", auth.ErrBadCredentials
}

// checkHash runs CheckPassword through the cache of recent successes.
func (b *Backend) checkHash(secret, hash string) bool {
	if b.cfg.CacheTTL <= 0 {
		return CheckPassword(secret, hash)
	}
	h := sha256.New()
	h.Write([]byte(hash))
	h.Write([]byte{0})
	h.Write([]byte(secret))
	var key [sha256.Size]byte
	h.Sum(key[:0])
	now := b.cfg.Now()
	b.mu.Lock()
	until, ok := b.cache[key]
	b.mu.Unlock()
	if ok && now.Before(until) {
		return true
	}
	if !CheckPassword(secret, hash) {
		return false
	}
	b.mu.Lock()
	if len(b.cache) >= maxCache {
		clear(b.cache)
	}
	b.cache[key] = now.Add(b.cfg.CacheTTL)
	b.mu.Unlock()
	return true
}

// HasExternal reports whether ci carries a wordpress_logged_in_* cookie
// and HTTP cookies are enabled.
func (b *Backend) HasExternal(ci auth.ConnInfo) bool {
	if !b.cfg.HTTPCookies {
		return false
	}
	for _, c := range ci.Cookies {
		if strings.HasPrefix(c.Name, CookiePrefix) {
			return true
		}
	}
	return false
}

// CheckExternal logs in the user of the first valid wordpress_logged_in_*
// cookie of ci. An authzid names the account the client expects; a
// cookie of someone else fails.
func (b *Backend) CheckExternal(ctx context.Context, ci auth.ConnInfo, authzid string) (string, error) {
	if !b.cfg.HTTPCookies {
		return "", auth.ErrUnknownUser
	}
	for _, hc := range ci.Cookies {
		if !strings.HasPrefix(hc.Name, CookiePrefix) {
			continue
		}
		c, err := ParseCookie(unescapeCookie(hc.Value))
		if err != nil || !validLogin(c.Login) {
			continue
		}
		u, err := b.user(ctx, c.Login)
		if errors.Is(err, auth.ErrUnknownUser) {
			continue
		}
		if err != nil {
			return "", err
		}
		if b.checkCookie(c, u) {
			return EscapeLocalpart(u.login), nil
		}
	}
	return "", auth.ErrBadCredentials
}

// unescapeCookie undoes PHP's urlencode, which setcookie applies ('|' is
// sent as %7C, ' ' as +); a value that is not URL-encoded stays.
func unescapeCookie(v string) string {
	if !strings.ContainsAny(v, "%+") {
		return v
	}
	if u, err := url.QueryUnescape(v); err == nil {
		return u
	}
	return v
}

// maxLogin is the width of wp_users.user_login, in characters.
const maxLogin = 60

// validLogin reports whether login could be a user_login at all, so that
// junk from a client never reaches the database as a query error (which
// would be a server fault, temporary-auth-failure).
func validLogin(login string) bool {
	return login != "" && utf8.ValidString(login) && utf8.RuneCountInString(login) <= maxLogin &&
		!strings.ContainsRune(login, 0)
}
