package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"mellium.im/xmpp/jid"

	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/storage"
)

// DefaultMaxBodyBytes bounds a request body when V1Options.MaxBodyBytes is zero.
const DefaultMaxBodyBytes = 64 << 10

// storeTimeout bounds each storage call a request makes.
const storeTimeout = 10 * time.Second

// Users is the account storage the API manages: storage.Users, narrowed
// to what the endpoints use.
type Users interface {
	CreateUser(ctx context.Context, host, username string, c storage.Credentials) error
	DeleteUser(ctx context.Context, host, username string) error
	SetCredentials(ctx context.Context, host, username string, c storage.Credentials) error
	UserExists(ctx context.Context, host, username string) (bool, error)
	ListUsers(ctx context.Context, host string) ([]string, error)
}

// RoomPoster posts a message into a MUC room as a service occupant. The
// MUC module implements it; until a server runs MUC, the room endpoint
// answers 501 not_implemented.
type RoomPoster interface {
	// PostToRoom sends a groupchat message with body to every occupant of
	// room (a bare room JID), from the occupant nick, and keeps it in the
	// room's history as any message. It returns ErrRoomNotFound when the
	// room does not exist.
	PostToRoom(ctx context.Context, room jid.JID, nick, body string) error
}

// ErrRoomNotFound is what a RoomPoster returns for a room that does not
// exist; the API answers 404 room_not_found.
var ErrRoomNotFound = errors.New("api: room not found")

// V1Options configure the version 1 API.
type V1Options struct {
	// Router routes the messages the API sends and lists the sessions.
	Router *router.Router
	// Users is where accounts live.
	Users Users
	// Rooms posts into MUC rooms; nil answers 501 not_implemented.
	Rooms RoomPoster
	// Auth checks every request's credentials. Required.
	Auth *Authenticator
	// Hosts are the served domains, in configuration order.
	Hosts []string
	// ServiceJID sends the messages that name no sender (zero: the first host).
	ServiceJID jid.JID
	// ServiceNick is the occupant nick of room posts that name none.
	ServiceNick string
	// SCRAMIterations is the PBKDF2 count for new and changed passwords.
	SCRAMIterations int
	// MaxBodyBytes bounds request bodies (0: DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// Logger gets one line per server fault; nil discards.
	Logger *slog.Logger
	// Registerer takes the API's metrics; nil registers none.
	Registerer prometheus.Registerer
}

// Route is one endpoint of the API: the method and the path pattern, in
// the {name} syntax shared by net/http's ServeMux and OpenAPI.
type Route struct {
	Method, Path string
}

// route is an endpoint with its handler.
type route struct {
	Route
	handle func(w http.ResponseWriter, r *http.Request, body []byte)
}

// v1 serves /api/v1.
type v1 struct {
	o       V1Options
	log     *slog.Logger
	metrics *apiMetrics
	mux     *http.ServeMux
}

// Routes lists every endpoint NewV1 serves; docs/api.yaml must list the same.
func Routes() []Route {
	var v v1
	rs := v.routes()
	out := make([]Route, len(rs))
	for i, r := range rs {
		out[i] = r.Route
	}
	return out
}

func (v *v1) routes() []route {
	return []route{
		{Route{http.MethodPost, "/api/v1/messages"}, v.sendMessage},
		{Route{http.MethodPost, "/api/v1/rooms/{room}/messages"}, v.postToRoom},
		{Route{http.MethodGet, "/api/v1/sessions"}, v.listSessions},
		{Route{http.MethodGet, "/api/v1/users"}, v.listUsers},
		{Route{http.MethodPost, "/api/v1/users"}, v.createUser},
		{Route{http.MethodDelete, "/api/v1/users/{jid}"}, v.deleteUser},
		{Route{http.MethodPut, "/api/v1/users/{jid}/password"}, v.setPassword},
	}
}

// NewV1 returns the handler of every /api/ path: the version 1 endpoints,
// and JSON 404 and 405 errors for the rest. Every request is
// authenticated before anything else is looked at.
func NewV1(o V1Options) http.Handler {
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.ServiceJID.Equal(jid.JID{}) && len(o.Hosts) > 0 {
		o.ServiceJID, _ = jid.New("", o.Hosts[0], "")
	}
	if o.ServiceNick == "" {
		o.ServiceNick = o.ServiceJID.Localpart()
		if o.ServiceNick == "" {
			o.ServiceNick = o.ServiceJID.Domainpart()
		}
	}
	v := &v1{o: o, log: o.Logger, metrics: newAPIMetrics(o.Registerer), mux: http.NewServeMux()}
	if v.log == nil {
		v.log = slog.New(slog.DiscardHandler)
	}
	byPath := map[string][]route{}
	var order []string
	for _, rt := range v.routes() {
		if byPath[rt.Path] == nil {
			order = append(order, rt.Path)
		}
		byPath[rt.Path] = append(byPath[rt.Path], rt)
	}
	for _, p := range order {
		v.mux.Handle(p, v.endpoint(p, byPath[p]))
	}
	v.mux.Handle("/api/", v.endpoint("other", nil))
	return v.mux
}

// endpoint reads and authenticates a request to path, then runs the route
// for its method.
func (v *v1) endpoint(path string, rs []route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w}
		start := time.Now()
		defer func() {
			v.metrics.observe(path, rec.status)
			// Never the body: it may hold a password.
			v.log.LogAttrs(r.Context(), slog.LevelDebug, "api request", slog.String("method", r.Method),
				slog.String("path", r.URL.Path), slog.Int("status", rec.status), slog.String("remote", r.RemoteAddr),
				slog.Duration("duration", time.Since(start)))
		}()
		body, err := io.ReadAll(http.MaxBytesReader(rec, r.Body, v.o.MaxBodyBytes))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				writeError(rec, CodeBodyTooLarge, "the body exceeds "+strconv.FormatInt(v.o.MaxBodyBytes, 10)+" bytes")
				return
			}
			writeError(rec, CodeInvalidRequest, "could not read the body")
			return
		}
		if code, msg := v.o.Auth.Check(r, body); code != "" {
			v.metrics.authFailures.WithLabelValues(string(code)).Inc()
			if code.Status() == http.StatusUnauthorized {
				rec.Header().Set("WWW-Authenticate", `Bearer realm="meerkat"`)
			}
			writeError(rec, code, msg)
			return
		}
		if rs == nil {
			writeError(rec, CodeNotFound, "no endpoint "+r.URL.Path)
			return
		}
		allow := ""
		for _, rt := range rs {
			if rt.Method == r.Method {
				rt.handle(rec, r, body)
				return
			}
			if allow != "" {
				allow += ", "
			}
			allow += rt.Method
		}
		rec.Header().Set("Allow", allow)
		writeError(rec, CodeMethodNotAllowed, r.Method+" is not allowed on "+path+"; use "+allow)
	})
}

// decode reads body into v strictly: one JSON object, no unknown fields.
func decode(w http.ResponseWriter, body []byte, v any) bool {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeError(w, CodeInvalidJSON, "the body is not a valid JSON object for this endpoint: "+err.Error())
		return false
	}
	if dec.More() {
		writeError(w, CodeInvalidJSON, "the body holds more than one JSON value")
		return false
	}
	return true
}

// fault answers 500 and logs err, which is the server's problem, not the client's.
func (v *v1) fault(w http.ResponseWriter, r *http.Request, what string, err error) {
	v.log.LogAttrs(r.Context(), slog.LevelError, "api: "+what, slog.String("path", r.URL.Path), slog.Any("err", err))
	writeError(w, CodeInternal, what+" failed; the server log has details")
}

// newID returns a random stanza id.
func newID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// statusRecorder remembers the status written, for the metrics.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

const slogInfo = slog.LevelInfo

func slogJID(j jid.JID) slog.Attr { return slog.String("jid", j.String()) }

// quote shortens and quotes client input for an error message.
func quote(s string) string {
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	return strconv.Quote(s)
}
