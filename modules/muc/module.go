// Package muc implements XEP-0045 multi-user chat as a service on its own
// domain (conference.<host> by default): rooms with the muc#roomconfig
// options, roles and affiliations, discussion history, subjects,
// mediated invitations, voice requests, room registration of nicks,
// nicks under the PRECIS Nickname profile (RFC 8266), IQs relayed between
// occupants, persistent rooms and their history kept in storage, XEP-0128
// extended room info and XEP-0410 self-ping. XEP-0249 direct invitations
// are plain messages between users and pass through the router untouched.
// Room deliveries pass the router's UserReceive hook, so XEP-0191 block
// lists apply to room traffic.
//
// A room handles each stanza under its own lock on the sender's
// goroutine. Broadcasts serialize a stanza once per variant and splice
// each occupant's JID in (router.RawSession), so a room of N occupants
// does not serialize the same message N times.
package muc

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"mellium.im/xmpp/jid"

	"github.com/meerkat-xmpp/meerkat/module"
	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/stanza"
	"github.com/meerkat-xmpp/meerkat/storage"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// Name is the module's name, the <name> of its [modules.muc] table.
const Name = "muc"

// Namespaces of XEP-0045 and the XEPs it leans on.
const (
	NS         = "http://jabber.org/protocol/muc"
	NSUser     = NS + "#user"
	NSAdmin    = NS + "#admin"
	NSOwner    = NS + "#owner"
	NSDiscoInf = "http://jabber.org/protocol/disco#info"
	NSDiscoIt  = "http://jabber.org/protocol/disco#items"
	NSData     = "jabber:x:data"
	NSDelay    = "urn:xmpp:delay"
	NSPing     = "urn:xmpp:ping"
	NSRegister = "jabber:iq:register"
	NSConfInv  = "jabber:x:conference" // XEP-0249
)

// Module is the XEP-0045 service.
type Module struct {
	cfg     Config
	admins  map[string]bool
	router  *router.Router
	store   storage.Rooms
	log     *slog.Logger
	metrics *metrics
	hosts   map[string]bool

	mu       sync.Mutex
	services map[string]*service

	stopFlush chan struct{} // closed by Stop: the history flusher ends
	flushDone chan struct{} // closed by the flusher when it has ended
}

// New checks cfg and returns the module; it has no side effects.
func New(cfg Config) (*Module, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m := &Module{cfg: cfg, admins: map[string]bool{}, services: map[string]*service{}, hosts: map[string]bool{}}
	for _, a := range cfg.Admins {
		j, _ := jid.Parse(a)
		m.admins[j.String()] = true
	}
	return m, nil
}

// Name implements module.Module.
func (m *Module) Name() string { return Name }

// Start claims each host's service domain, loads its persistent rooms and
// watches sessions that close without leaving their rooms.
func (m *Module) Start(ctx context.Context, h *module.Host) error {
	var err error
	if m.metrics, err = newMetrics(h.Registerer()); err != nil {
		return err
	}
	m.router, m.store, m.log = h.Router(), h.Store(), h.Logger()
	for _, host := range h.Hosts() {
		m.hosts[strings.ToLower(host)] = true
	}
	for _, host := range h.Hosts() {
		domain := m.cfg.serviceFor(host)
		if _, dup := m.services[domain]; dup {
			continue
		}
		s := newService(m, domain, NewLocalDirectory())
		if err := s.load(ctx); err != nil {
			return fmt.Errorf("loading rooms of %s: %w", domain, err)
		}
		if err := h.HandleDomain(domain, s); err != nil {
			return err
		}
		m.services[domain] = s
		h.AddItem(module.Item{JID: domain, Name: "Chatrooms"})
	}
	module.OnEvent(h, &h.Hooks().SessionClosed, 0, m.onSessionClosed)
	if m.store != nil {
		m.stopFlush, m.flushDone = make(chan struct{}), make(chan struct{})
		go m.flushLoop(m.stopFlush, m.flushDone)
	}
	return nil
}

// Stop writes the history of persistent rooms that changed since the last
// flush; everything else of a persistent room is stored as it changes.
func (m *Module) Stop(ctx context.Context) error {
	if m.stopFlush == nil {
		return nil
	}
	close(m.stopFlush)
	select {
	case <-m.flushDone:
	case <-ctx.Done():
		return ctx.Err()
	}
	m.flushHistories(ctx)
	return nil
}

// servicesNow is a copy of the service list, to walk without holding m.mu.
func (m *Module) servicesNow() []*service {
	m.mu.Lock()
	defer m.mu.Unlock()
	svcs := make([]*service, 0, len(m.services))
	for _, s := range m.services {
		svcs = append(svcs, s)
	}
	return svcs
}

// onSessionClosed makes a session that ended without leaving leave every
// room it was in, as if it had sent unavailable presence.
func (m *Module) onSessionClosed(ctx context.Context, ev *router.SessionEvent) {
	svcs := m.servicesNow()
	for _, s := range svcs {
		s.sessionGone(ctx, ev.JID, ev.Session)
	}
}

// Directory finds the rooms of one service. It is an interface so that a
// cluster can place rooms on nodes; LocalDirectory keeps them in memory.
type Directory interface {
	// Get returns the room, or nil.
	Get(name string) *Room
	// GetOrCreate returns the room, creating it with mk if absent; created
	// says which.
	GetOrCreate(name string, mk func() *Room) (r *Room, created bool)
	// Remove drops r if it is still the room of that name.
	Remove(name string, r *Room)
	// All returns every room.
	All() []*Room
}

// LocalDirectory is a Directory in this process's memory.
type LocalDirectory struct {
	mu    sync.RWMutex
	rooms map[string]*Room
}

// NewLocalDirectory returns an empty directory.
func NewLocalDirectory() *LocalDirectory { return &LocalDirectory{rooms: map[string]*Room{}} }

// Get implements Directory.
func (d *LocalDirectory) Get(name string) *Room {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.rooms[name]
}

// GetOrCreate implements Directory.
func (d *LocalDirectory) GetOrCreate(name string, mk func() *Room) (*Room, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if r, ok := d.rooms[name]; ok {
		return r, false
	}
	r := mk()
	d.rooms[name] = r
	return r, true
}

// Remove implements Directory.
func (d *LocalDirectory) Remove(name string, r *Room) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.rooms[name] == r {
		delete(d.rooms, name)
	}
}

// All implements Directory.
func (d *LocalDirectory) All() []*Room {
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := make([]*Room, 0, len(d.rooms))
	for _, r := range d.rooms {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b *Room) int { return strings.Compare(a.name, b.name) })
	return out
}

// service is one MUC domain.
type service struct {
	m      *Module
	domain string
	jid    jid.JID
	rooms  Directory

	mu     sync.Mutex
	joined map[string]map[*Room]bool // full JID → rooms it is in
	dirty  map[*Room]struct{}        // persistent rooms whose history changed since the last flush
}

func newService(m *Module, domain string, d Directory) *service {
	j, _ := jid.New("", domain, "")
	return &service{m: m, domain: domain, jid: j, rooms: d, joined: map[string]map[*Room]bool{}, dirty: map[*Room]struct{}{}}
}

func (s *service) track(full string, r *Room, in bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	set := s.joined[full]
	if in {
		if set == nil {
			set = map[*Room]bool{}
			s.joined[full] = set
		}
		set[r] = true
		return
	}
	delete(set, r)
	if len(set) == 0 {
		delete(s.joined, full)
	}
}

func (s *service) sessionGone(ctx context.Context, full jid.JID, gone router.Session) {
	key := full.String()
	s.mu.Lock()
	rooms := make([]*Room, 0, len(s.joined[key]))
	for r := range s.joined[key] {
		rooms = append(rooms, r)
	}
	s.mu.Unlock()
	for _, r := range rooms {
		r.leave(ctx, full, nil, gone)
	}
}

// HandleStanza implements router.DomainHandler: everything sent to the
// service domain or one of its rooms.
func (s *service) HandleStanza(ctx context.Context, el *stream.Element, to jid.JID) {
	from, err := s.m.router.JIDs().Parse(el.Attr("from"))
	k := stanza.KindOf(el)
	if err != nil || from.Resourcepart() == "" && !(k == stanza.KindIQ && !isRequest(el) && to.Resourcepart() != "") {
		// Sessions stamp full JIDs. The one stanza from a bare JID the
		// service takes is an account's answer to a relayed vCard request.
		return
	}
	s.m.metrics.stanzas.WithLabelValues(k.String()).Inc()
	if to.Localpart() == "" {
		if k == stanza.KindIQ {
			s.serviceIQ(ctx, el, from)
		}
		return
	}
	name := to.Localpart()
	switch k {
	case stanza.KindPresence:
		s.presence(ctx, el, from, to)
	case stanza.KindMessage:
		r := s.rooms.Get(name)
		if r == nil {
			if stanza.MessageType(el) != stanza.TypeError {
				s.m.router.Bounce(ctx, el, stanza.NewError(stanza.ItemNotFound, ""))
			}
			return
		}
		r.message(ctx, el, from, to)
	case stanza.KindIQ:
		r := s.rooms.Get(name)
		if r == nil {
			if isRequest(el) {
				s.m.router.Bounce(ctx, el, stanza.NewError(stanza.ItemNotFound, ""))
			}
			return
		}
		r.iq(ctx, el, from, to)
	}
}

func (s *service) presence(ctx context.Context, el *stream.Element, from, to jid.JID) {
	typ := el.Attr("type")
	name := to.Localpart()
	r := s.rooms.Get(name)
	switch typ {
	case "", "unavailable", stanza.TypeError:
	default:
		return // subscriptions to a room mean nothing
	}
	if r != nil && typ != "" {
		r.leave(ctx, from, el, nil)
		return
	}
	if typ != "" {
		return
	}
	if to.Resourcepart() == "" {
		s.m.router.Bounce(ctx, el, stanza.NewError(stanza.JIDMalformed, "a nick is needed to join"))
		return
	}
	nick, e := enforceNick(to.Resourcepart())
	if e != nil {
		s.m.router.Bounce(ctx, el, e)
		return
	}
	for range 3 {
		if r == nil {
			if e := s.mayCreate(from); e != nil {
				s.m.router.Bounce(ctx, el, e)
				return
			}
			var created bool
			r, created = s.rooms.GetOrCreate(name, func() *Room { return s.newRoom(name, from.Bare()) })
			if created {
				s.m.metrics.rooms.Inc()
				s.m.metrics.created.Inc()
			}
		}
		if r.join(ctx, el, from, nick, to.Resourcepart()) {
			return
		}
		r = nil // emptied and removed meanwhile: look again
	}
}

// mayCreate applies room_creation.
func (s *service) mayCreate(from jid.JID) *stanza.Error {
	bare := from.Bare().String()
	switch {
	case s.m.admins[bare]:
		return nil
	case s.m.cfg.RoomCreation == CreateAnyone:
		return nil
	case s.m.cfg.RoomCreation == CreateLocal && s.m.hosts[from.Domainpart()]:
		return nil
	}
	return stanza.NewError(stanza.NotAllowed, "room creation is restricted")
}

func isRequest(el *stream.Element) bool {
	t := el.Attr("type")
	return t == stanza.IQGet || t == stanza.IQSet
}
