package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client calls a running server's API: the `meerkat` admin commands use
// it, and so can Go programs. Set Token for bearer authentication, or
// Secret to sign each request.
type Client struct {
	// BaseURL is the HTTP listener, such as "http://127.0.0.1:5280".
	BaseURL string
	// Token is a bearer token; it wins over Secret when both are set.
	Token string
	// Secret signs requests with HMAC-SHA256 when Token is empty.
	Secret []byte
	// HTTP is the client to use; nil means one with a 30-second timeout.
	HTTP *http.Client
	// Now is the signing clock; nil means time.Now.
	Now func() time.Time
}

// Do sends method path with in as the JSON body (nil: none) and decodes a
// successful answer into out (nil: ignored). An error answer comes back
// as *Error.
func (c *Client) Do(ctx context.Context, method, path string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.BaseURL, "/")+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	switch {
	case c.Token != "":
		req.Header.Set("Authorization", "Bearer "+c.Token)
	case len(c.Secret) > 0:
		now := time.Now
		if c.Now != nil {
			now = c.Now
		}
		ts := now().Unix()
		req.Header.Set(HeaderTimestamp, fmt.Sprint(ts))
		req.Header.Set(HeaderSignature, Sign(c.Secret, ts, method, req.URL.RequestURI(), body))
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var eb errorBody
		if json.Unmarshal(data, &eb) == nil && eb.Error != nil && eb.Error.Code != "" {
			return eb.Error
		}
		return fmt.Errorf("%s %s: HTTP %d: %.200s", method, path, resp.StatusCode, data)
	}
	if out != nil && len(data) > 0 {
		return json.Unmarshal(data, out)
	}
	return nil
}

// SendMessage sends a message (POST /api/v1/messages).
func (c *Client) SendMessage(ctx context.Context, m MessageRequest) (MessageResponse, error) {
	var r MessageResponse
	err := c.Do(ctx, http.MethodPost, "/api/v1/messages", m, &r)
	return r, err
}

// PostToRoom posts into a MUC room (POST /api/v1/rooms/{room}/messages).
func (c *Client) PostToRoom(ctx context.Context, room string, m RoomMessageRequest) (MessageResponse, error) {
	var r MessageResponse
	err := c.Do(ctx, http.MethodPost, "/api/v1/rooms/"+url.PathEscape(room)+"/messages", m, &r)
	return r, err
}

// Sessions lists the bound sessions (GET /api/v1/sessions).
func (c *Client) Sessions(ctx context.Context) ([]Session, error) {
	var r SessionList
	err := c.Do(ctx, http.MethodGet, "/api/v1/sessions", nil, &r)
	return r.Sessions, err
}

// Users lists the accounts of host, or of every host when host is ""
// (GET /api/v1/users).
func (c *Client) Users(ctx context.Context, host string) ([]string, error) {
	p := "/api/v1/users"
	if host != "" {
		p += "?host=" + url.QueryEscape(host)
	}
	var r UserList
	err := c.Do(ctx, http.MethodGet, p, nil, &r)
	return r.Users, err
}

// CreateUser creates an account (POST /api/v1/users) and returns its
// normalized JID.
func (c *Client) CreateUser(ctx context.Context, jid, password string) (string, error) {
	var r UserResponse
	err := c.Do(ctx, http.MethodPost, "/api/v1/users", UserRequest{JID: jid, Password: password}, &r)
	return r.JID, err
}

// DeleteUser deletes an account (DELETE /api/v1/users/{jid}).
func (c *Client) DeleteUser(ctx context.Context, jid string) error {
	return c.Do(ctx, http.MethodDelete, "/api/v1/users/"+url.PathEscape(jid), nil, nil)
}

// SetPassword changes an account's password (PUT /api/v1/users/{jid}/password).
func (c *Client) SetPassword(ctx context.Context, jid, password string) error {
	return c.Do(ctx, http.MethodPut, "/api/v1/users/"+url.PathEscape(jid)+"/password", PasswordRequest{Password: password}, nil)
}
