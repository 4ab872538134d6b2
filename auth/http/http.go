// Package httpauth delegates authentication to a web service by HTTP
// callbacks, with the contract MongooseIM's "http" auth method documents,
// so a service written for MongooseIM works unchanged:
//
//	GET  {base}/check_password?user=U&server=S&pass=P  200 "true" or "false"
//	GET  {base}/user_exists?user=U&server=S            200 "true" or "false"
//	GET  {base}/get_password?user=U&server=S           200 the password; 404 no user (optional)
//	POST {base}/set_password   user=U&server=S&pass=P  204; 404 no user (optional)
//	POST {base}/register       user=U&server=S&pass=P  201; 409 taken (optional)
//	POST {base}/remove_user    user=U&server=S         204; 404 no user (optional)
//
// A login calls check_password only. A service that leaves an optional
// method out answers it 405 or 501 (get_password and register also 404
// without a body), and the method returns ErrNotSupported.
//
// A slow or unreachable service fails logins with temporary-auth-failure
// after Config.Timeout; it never holds a session longer.
package httpauth

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/meerkat-xmpp/meerkat/auth"
)

// Config configures a Backend.
type Config struct {
	// BaseURL is where the methods live: "https://auth.example:8000/xmpp"
	// makes check_password "https://auth.example:8000/xmpp/check_password".
	BaseURL string
	// BasicAuth, "user:password", authenticates Meerkat to the service.
	BasicAuth string
	// Timeout bounds each call, connection included; 0 means 5 s.
	Timeout time.Duration
	// MaxConns bounds the connections kept open to the service; 0 means 10.
	MaxConns int
	// CacheTTL keeps successful check_password answers this long; 0
	// caches nothing. Failures are never cached, so a new password works
	// at once; SetPassword and RemoveUser through Meerkat drop the entry.
	CacheTTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Backend is an auth.PasswordChecker calling a web service. It is safe for
// concurrent use.
type Backend struct {
	cfg    Config
	base   *url.URL
	client *http.Client
	user   string
	pass   string

	mu    sync.Mutex
	cache map[string]cached // host NUL user
}

type cached struct {
	sum   [sha256.Size]byte
	until time.Time
}

var _ auth.PasswordChecker = (*Backend)(nil)

// Errors of the optional methods.
var (
	// ErrNotSupported means the service does not implement the method
	// (it answered 404 or 405 to a method that is optional).
	ErrNotSupported = errors.New("httpauth: method not supported by the service")
	// ErrExists is register's answer for a taken name (409).
	ErrExists = errors.New("httpauth: user exists")
)

const maxBody = 64 << 10

// New checks cfg and builds the pooled client.
func New(cfg Config) (*Backend, error) {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("httpauth: base_url %q: want http:// or https:// and a host", cfg.BaseURL)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = 10
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	b := &Backend{cfg: cfg, base: u, cache: make(map[string]cached)}
	if cfg.BasicAuth != "" {
		var ok bool
		if b.user, b.pass, ok = strings.Cut(cfg.BasicAuth, ":"); !ok {
			return nil, errors.New(`httpauth: basic_auth: want "user:password"`)
		}
	}
	tr := &http.Transport{
		Proxy:                 nil, // loopback and intranet services: never an environment proxy
		DialContext:           (&net.Dialer{Timeout: cfg.Timeout}).DialContext,
		MaxIdleConns:          cfg.MaxConns,
		MaxIdleConnsPerHost:   cfg.MaxConns,
		MaxConnsPerHost:       cfg.MaxConns,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   cfg.Timeout,
		ResponseHeaderTimeout: cfg.Timeout,
	}
	b.client = &http.Client{Transport: tr, Timeout: cfg.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return b, nil
}

// Close drops idle connections.
func (b *Backend) Close() { b.client.CloseIdleConnections() }

// Name returns "http".
func (b *Backend) Name() string { return "http" }

func (b *Backend) call(ctx context.Context, method, name string, form url.Values) (int, string, error) {
	ctx, cancel := context.WithTimeout(ctx, b.cfg.Timeout)
	defer cancel()
	u := b.base.JoinPath(name)
	var body io.Reader
	if method == http.MethodGet {
		u.RawQuery = form.Encode()
	} else {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return 0, "", err
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if b.user != "" {
		req.SetBasicAuth(b.user, b.pass)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return 0, "", fmt.Errorf("httpauth %s: %w", name, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return 0, "", fmt.Errorf("httpauth %s: %w", name, err)
	}
	return resp.StatusCode, strings.TrimSpace(string(raw)), nil
}

func values(host, user string, pass *string) url.Values {
	v := url.Values{"user": {user}, "server": {host}}
	if pass != nil {
		v.Set("pass", *pass)
	}
	return v
}

// boolAnswer reads a 200 "true"/"false"; anything else is the service's
// fault.
func boolAnswer(name string, code int, body string) (bool, error) {
	if code != http.StatusOK {
		return false, fmt.Errorf("httpauth %s: status %d", name, code)
	}
	switch body {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("httpauth %s: answer %.40q, want true or false", name, body)
}

// CheckPassword asks check_password. "false" and 404 are bad credentials;
// other statuses, timeouts and refused connections are server faults.
func (b *Backend) CheckPassword(ctx context.Context, ci auth.ConnInfo, authcid, secret string) (string, error) {
	key := ci.Host + "\x00" + authcid
	sum := sha256.Sum256([]byte(secret))
	if b.cfg.CacheTTL > 0 {
		b.mu.Lock()
		c, ok := b.cache[key]
		b.mu.Unlock()
		if ok && c.sum == sum && b.cfg.Now().Before(c.until) {
			return authcid, nil
		}
	}
	code, body, err := b.call(ctx, http.MethodGet, "check_password", values(ci.Host, authcid, &secret))
	if err != nil {
		return "", err
	}
	if code == http.StatusNotFound { // 401 and 403 mean our basic_auth is wrong: a server fault
		return "", auth.ErrBadCredentials
	}
	ok, err := boolAnswer("check_password", code, body)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", auth.ErrBadCredentials
	}
	if b.cfg.CacheTTL > 0 {
		b.mu.Lock()
		if len(b.cache) > 50_000 {
			clear(b.cache)
		}
		b.cache[key] = cached{sum: sum, until: b.cfg.Now().Add(b.cfg.CacheTTL)}
		b.mu.Unlock()
	}
	return authcid, nil
}

func (b *Backend) forget(host, user string) {
	b.mu.Lock()
	delete(b.cache, host+"\x00"+user)
	b.mu.Unlock()
}

// UserExists asks user_exists.
func (b *Backend) UserExists(ctx context.Context, host, user string) (bool, error) {
	code, body, err := b.call(ctx, http.MethodGet, "user_exists", values(host, user, nil))
	if err != nil {
		return false, err
	}
	return boolAnswer("user_exists", code, body)
}

// GetPassword asks the optional get_password: the plaintext password,
// auth.ErrUnknownUser on 404 with a body, ErrNotSupported on 404 without
// one or 405.
func (b *Backend) GetPassword(ctx context.Context, host, user string) (string, error) {
	code, body, err := b.call(ctx, http.MethodGet, "get_password", values(host, user, nil))
	switch {
	case err != nil:
		return "", err
	case code == http.StatusOK:
		return body, nil
	case code == http.StatusNotFound && body != "":
		return "", auth.ErrUnknownUser
	case code == http.StatusNotFound, code == http.StatusMethodNotAllowed, code == http.StatusNotImplemented:
		return "", ErrNotSupported
	}
	return "", fmt.Errorf("httpauth get_password: status %d", code)
}

// SetPassword posts the optional set_password and drops the cached
// check: auth.ErrUnknownUser on 404, ErrNotSupported on 405 or 501.
func (b *Backend) SetPassword(ctx context.Context, host, user, pass string) error {
	b.forget(host, user)
	code, _, err := b.call(ctx, http.MethodPost, "set_password", values(host, user, &pass))
	switch {
	case err != nil:
		return err
	case code == http.StatusNoContent || code == http.StatusOK:
		return nil
	case code == http.StatusNotFound:
		return auth.ErrUnknownUser
	case code == http.StatusMethodNotAllowed, code == http.StatusNotImplemented:
		return ErrNotSupported
	}
	return fmt.Errorf("httpauth set_password: status %d", code)
}

// Register posts the optional register.
func (b *Backend) Register(ctx context.Context, host, user, pass string) error {
	code, _, err := b.call(ctx, http.MethodPost, "register", values(host, user, &pass))
	switch {
	case err != nil:
		return err
	case code == http.StatusCreated || code == http.StatusNoContent || code == http.StatusOK:
		return nil
	case code == http.StatusConflict:
		return ErrExists
	case code == http.StatusNotFound, code == http.StatusMethodNotAllowed, code == http.StatusNotImplemented:
		return ErrNotSupported
	}
	return fmt.Errorf("httpauth register: status %d", code)
}

// RemoveUser posts the optional remove_user and drops the cached check:
// auth.ErrUnknownUser on 404, ErrNotSupported on 405 or 501.
func (b *Backend) RemoveUser(ctx context.Context, host, user string) error {
	b.forget(host, user)
	code, _, err := b.call(ctx, http.MethodPost, "remove_user", values(host, user, nil))
	switch {
	case err != nil:
		return err
	case code == http.StatusNoContent || code == http.StatusOK:
		return nil
	case code == http.StatusNotFound:
		return auth.ErrUnknownUser
	case code == http.StatusMethodNotAllowed, code == http.StatusNotImplemented:
		return ErrNotSupported
	}
	return fmt.Errorf("httpauth remove_user: status %d", code)
}
