package mob

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// boshHTTPServer is an httptest server that counts the connections and
// requests it gets.
type boshHTTPServer struct {
	*httptest.Server
	conns  atomic.Int64 // connections accepted
	closed atomic.Int64 // connections closed
	reqs   atomic.Int64 // requests seen
}

// startBOSHHTTP serves handler, which gets the request's number (from 1).
func startBOSHHTTP(t *testing.T, useTLS bool, idle time.Duration, handler func(n int, w http.ResponseWriter, r *http.Request)) *boshHTTPServer {
	t.Helper()
	s := &boshHTTPServer{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handler(int(s.reqs.Add(1)), w, r)
	}))
	s.Config.IdleTimeout = idle
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		switch st {
		case http.StateNew:
			s.conns.Add(1)
		case http.StateClosed, http.StateHijacked:
			s.closed.Add(1)
		}
	}
	if useTLS {
		s.StartTLS()
	} else {
		s.Start()
	}
	t.Cleanup(s.Close)
	return s
}

// client returns a boshHTTP for the server's /http-bind.
func (s *boshHTTPServer) client(t *testing.T, respTimeout time.Duration, maxBody int) *boshHTTP {
	t.Helper()
	u, err := url.Parse(s.URL + "/http-bind")
	if err != nil {
		t.Fatal(err)
	}
	var cfg *tls.Config
	if s.TLS != nil {
		pool := x509.NewCertPool()
		pool.AddCert(s.Certificate())
		cfg = &tls.Config{RootCAs: pool}
	}
	h := newBOSHHTTP(u, cfg, 5*time.Second, respTimeout, nil, maxBody)
	t.Cleanup(h.closeIdle)
	return h
}

// echo answers with the request body, after checking the request.
func echo(_ int, w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(r.Body)
	if err != nil || r.Method != http.MethodPost || r.URL.Path != "/http-bind" || r.ProtoMajor != 1 ||
		r.Header.Get("Content-Type") != "text/xml; charset=utf-8" || r.ContentLength != int64(len(b)) {
		http.Error(w, fmt.Sprintf("bad request %s %s %s %q %d: %v", r.Method, r.URL, r.Proto, r.Header, r.ContentLength, err), http.StatusBadRequest)
		return
	}
	w.Write(b)
}

// hangUp closes the connection without an answer.
func hangUp(w http.ResponseWriter) {
	c, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		c.Close()
	}
}

func TestBOSHHTTP(t *testing.T) {
	tests := []struct {
		name    string
		tls     bool
		idle    time.Duration // the server's IdleTimeout
		maxBody int           // 0: 1 KiB
		handler func(n int, w http.ResponseWriter, r *http.Request)
		// Requests made one after the other; before each but the first,
		// waitIdle waits until the server has closed every connection.
		requests int
		waitIdle bool
		// wantErr is a substring of the error of request errAt (from 1;
		// 0 for the last); the others must succeed. "" for no error.
		wantErr   string
		errAt     int
		wantConns int64 // connections the server accepted
		wantReqs  int64 // requests the server saw
		wantIdle  int   // connections pooled at the end
	}{
		{name: "keep-alive reuses one connection", handler: echo,
			requests: 5, wantConns: 1, wantReqs: 5, wantIdle: 1},
		{name: "keep-alive over TLS", tls: true, handler: echo,
			requests: 5, wantConns: 1, wantReqs: 5, wantIdle: 1},
		{name: "Connection: close takes a new connection", handler: func(n int, w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Connection", "close")
			echo(n, w, r)
		}, requests: 3, wantConns: 3, wantReqs: 3},
		{name: "chunked body, then reuse", handler: func(_ int, w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			for i := range b {
				// Flushing each byte forces chunked encoding.
				w.Write(b[i : i+1])
				http.NewResponseController(w).Flush()
			}
		}, requests: 3, wantConns: 1, wantReqs: 3, wantIdle: 1},
		{name: "idle connection closed by the server", idle: 50 * time.Millisecond, handler: echo,
			requests: 3, waitIdle: true, wantConns: 3, wantReqs: 3, wantIdle: 1},
		{name: "reused connection hung up on is retried", handler: func(n int, w http.ResponseWriter, r *http.Request) {
			if n == 2 {
				hangUp(w)
				return
			}
			echo(n, w, r)
		}, requests: 2, wantConns: 2, wantReqs: 3, wantIdle: 1},
		{name: "retried once only", handler: func(n int, w http.ResponseWriter, r *http.Request) {
			if n >= 2 {
				hangUp(w)
				return
			}
			echo(n, w, r)
		}, requests: 2, wantErr: "EOF", wantConns: 2, wantReqs: 3},
		{name: "new connection hung up on is not retried", handler: func(_ int, w http.ResponseWriter, _ *http.Request) {
			hangUp(w)
		}, requests: 1, wantErr: "EOF", wantConns: 1, wantReqs: 1},
		{name: "non-200", handler: func(_ int, w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "busy", http.StatusServiceUnavailable)
		}, requests: 1, wantErr: "bosh: HTTP 503 Service Unavailable", wantConns: 1, wantReqs: 1},
		{name: "non-200 closes the connection", handler: func(n int, w http.ResponseWriter, r *http.Request) {
			if n == 1 {
				http.Error(w, "busy", http.StatusServiceUnavailable)
				return
			}
			echo(n, w, r)
		}, requests: 2, wantErr: "bosh: HTTP 503", errAt: 1, wantConns: 2, wantReqs: 2, wantIdle: 1},
		{name: "oversize Content-Length body", maxBody: 16, handler: func(_ int, w http.ResponseWriter, _ *http.Request) {
			w.Write([]byte(strings.Repeat("x", 17)))
		}, requests: 1, wantErr: "too large", wantConns: 1, wantReqs: 1},
		{name: "oversize chunked body", maxBody: 16, handler: func(_ int, w http.ResponseWriter, _ *http.Request) {
			for range 17 {
				w.Write([]byte("x"))
				http.NewResponseController(w).Flush()
			}
		}, requests: 1, wantErr: "too large", wantConns: 1, wantReqs: 1},
		{name: "body at the limit", maxBody: 16, handler: func(_ int, w http.ResponseWriter, _ *http.Request) {
			w.Write([]byte(strings.Repeat("x", 16)))
		}, requests: 2, wantConns: 1, wantReqs: 2, wantIdle: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startBOSHHTTP(t, tt.tls, tt.idle, tt.handler)
			maxBody := tt.maxBody
			if maxBody == 0 {
				maxBody = 1 << 10
			}
			h := s.client(t, 5*time.Second, maxBody)
			errAt := tt.errAt
			if errAt == 0 {
				errAt = tt.requests
			}
			for i := range tt.requests {
				if i > 0 && tt.waitIdle {
					waitFor(t, "the server to close idle connections", func() bool { return s.closed.Load() == s.conns.Load() })
				}
				body := fmt.Sprintf("<body rid='%d'/>", i)
				wrote := 0
				raw, err := h.post(context.Background(), []byte(body), func() { wrote++ })
				if wrote != 1 {
					t.Errorf("request %d: wrote called %d times, want 1", i, wrote)
				}
				if i != errAt-1 || tt.wantErr == "" {
					if err != nil {
						t.Fatalf("request %d: %v", i, err)
					}
					if tt.maxBody == 0 && string(raw) != body {
						t.Fatalf("request %d: body %q, want %q", i, raw, body)
					}
					continue
				}
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("request %d: error %v, want one with %q", i, err, tt.wantErr)
				}
			}
			if n := s.conns.Load(); n != tt.wantConns {
				t.Errorf("%d connections, want %d", n, tt.wantConns)
			}
			if n := s.reqs.Load(); n != tt.wantReqs {
				t.Errorf("%d requests reached the server, want %d", n, tt.wantReqs)
			}
			h.mu.Lock()
			idle := len(h.idle)
			h.mu.Unlock()
			if idle != tt.wantIdle {
				t.Errorf("%d connections pooled, want %d", idle, tt.wantIdle)
			}
		})
	}
}

// TestBOSHHTTPHeld: a held request ends promptly when its ctx ends or its
// deadline passes, and its connection is not reused.
func TestBOSHHTTPHeld(t *testing.T) {
	tests := []struct {
		name        string
		respTimeout time.Duration
		cancelAfter time.Duration // 0: never
		wantErr     error
	}{
		{name: "ctx canceled", respTimeout: time.Minute, cancelAfter: 100 * time.Millisecond, wantErr: context.Canceled},
		{name: "deadline", respTimeout: 100 * time.Millisecond, wantErr: os.ErrDeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			release := make(chan struct{})
			s := startBOSHHTTP(t, false, 0, func(n int, w http.ResponseWriter, r *http.Request) {
				if n == 1 {
					// Held, as a BOSH poll is, until the test ends.
					select {
					case <-release:
					case <-r.Context().Done():
					}
					return
				}
				echo(n, w, r)
			})
			defer close(release)
			h := s.client(t, tt.respTimeout, 1<<10)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			wrote := make(chan struct{})
			done := make(chan error, 1)
			start := time.Now()
			go func() {
				_, err := h.post(ctx, []byte("<body/>"), func() { close(wrote) })
				done <- err
			}()
			select {
			case <-wrote:
			case <-time.After(5 * time.Second):
				t.Fatal("wrote was not called while the request was held")
			}
			if tt.cancelAfter > 0 {
				time.AfterFunc(tt.cancelAfter, cancel)
			}
			select {
			case err := <-done:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("error %v, want %v", err, tt.wantErr)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("the held request did not end")
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("took %v", d)
			}
			// The connection of the failed request is not pooled.
			if _, err := h.post(context.Background(), []byte("<body/>"), nil); err != nil {
				t.Fatal(err)
			}
			if n := s.conns.Load(); n != 2 {
				t.Errorf("%d connections, want 2", n)
			}
		})
	}
}

// waitFor polls cond until it holds, or fails the test after 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
