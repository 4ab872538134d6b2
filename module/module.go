// Package module is the contract between Meerkat and its modules: the
// Module interface every capability in modules/<name>/ implements, and the
// Host each one receives at start to register IQ handlers, hooks, stream
// features and disco features and identities.
//
// A module never imports another module. Modules cooperate through the
// router's hooks and the storage interfaces only.
package module

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/storage"
)

// Module is one capability, switched on by a [modules.<name>] table.
type Module interface {
	// Name is the config table name, e.g. "roster".
	Name() string
	// Start registers handlers and hooks on h and starts any background
	// work. A module whose Start fails is not stopped; the ones started
	// before it are.
	Start(ctx context.Context, h *Host) error
	// Stop ends background work. Handlers registered through h are removed
	// by the host after Stop returns.
	Stop(ctx context.Context) error
}

// Deps are shared by every module of a node.
type Deps struct {
	Router     *router.Router
	Store      storage.Store
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	Hosts      []string
	Disco      *Disco
}

// Host is what one module sees of the server while it starts.
type Host struct {
	deps    Deps
	name    string
	log     *slog.Logger
	removes []func()
}

// NewHost returns the host for the module called name.
func NewHost(name string, d Deps) *Host {
	log := d.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	reg := d.Registerer
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	d.Registerer = reg
	return &Host{deps: d, name: name, log: log.With("module", name)}
}

// Router is the node's router, for routing and session lookups.
func (h *Host) Router() *router.Router { return h.deps.Router }

// Store is the node's storage backend.
func (h *Host) Store() storage.Store { return h.deps.Store }

// Logger is a logger carrying module=<name>.
func (h *Host) Logger() *slog.Logger { return h.log }

// Registerer is where the module registers its Prometheus collectors.
func (h *Host) Registerer() prometheus.Registerer { return h.deps.Registerer }

// Disco is the node's disco registry, read by the module that answers
// service discovery and computes the XEP-0115 caps hash.
func (h *Host) Disco() *Disco { return h.deps.Disco }

// Hosts are the domains this node serves.
func (h *Host) Hosts() []string { return h.deps.Hosts }

// Name is the module's name.
func (h *Host) Name() string { return h.name }

// HandleIQ registers an IQ handler for namespace ns. A namespace another
// module already claimed is an error naming both.
func (h *Host) HandleIQ(target router.Target, ns string, handler router.IQHandler) error {
	rm, err := h.deps.Router.HandleIQ(target, ns, h.name, handler)
	if err != nil {
		return err
	}
	h.removes = append(h.removes, rm)
	return nil
}

// HandleDomain makes h the owner of every stanza addressed to the service
// domain (a MUC service, say); the claim is removed when the module stops.
// A domain claimed twice, or a hosted one, is an error.
func (h *Host) HandleDomain(domain string, handler router.DomainHandler) error {
	rm, err := h.deps.Router.HandleDomain(domain, h.name, handler)
	if err != nil {
		return err
	}
	h.removes = append(h.removes, rm)
	return nil
}

// OnStanza adds a stanza hook (UserSend, UserReceive or Offline).
func (h *Host) OnStanza(point *router.Hook[router.StanzaHook], priority int, fn router.StanzaHook) {
	h.removes = append(h.removes, point.Add(priority, h.name, fn))
}

// Hooks are the router's hook points, to pass to OnStanza and OnEvent.
func (h *Host) Hooks() *router.Hooks { return h.deps.Router.Hooks() }

// OnEvent adds an event hook; it is a function because Go methods cannot
// take type parameters.
func OnEvent[E any](h *Host, point *router.Hook[router.EventHook[E]], priority int, fn router.EventHook[E]) {
	h.removes = append(h.removes, point.Add(priority, h.name, fn))
}

// AddStreamFeature adds to the post-authentication stream features (e.g.
// XEP-0115 caps); use router.StaticFeature for a fixed element.
func (h *Host) AddStreamFeature(f router.FeatureFunc) { h.deps.Router.AddStreamFeature(f) }

// AddPreAuthStreamFeature adds to the features offered before
// authentication (XEP-0077's <register/>).
func (h *Host) AddPreAuthStreamFeature(f router.FeatureFunc) {
	h.deps.Router.AddPreAuthStreamFeature(f)
}

// AddFeature advertises a disco#info feature for target.
func (h *Host) AddFeature(target router.Target, feature string) {
	h.deps.Disco.addFeature(target, feature)
}

// AddIdentity advertises a disco#info identity for target.
func (h *Host) AddIdentity(target router.Target, id Identity) {
	h.deps.Disco.addIdentity(target, id)
}

// AddItem advertises a disco#items entry of the server (a service domain).
func (h *Host) AddItem(item Item) { h.deps.Disco.addItem(item) }

// Disco is the node's registry of what modules advertise through service
// discovery. The disco module answers from it; nobody hard-codes a list.
type Disco struct {
	mu         sync.RWMutex
	features   map[router.Target][]string
	identities map[router.Target][]Identity
	items      []Item
}

// Identity is a disco#info identity (XEP-0030 §3.1).
type Identity struct{ Category, Type, Name string }

// Item is a disco#items entry (XEP-0030 §4.1).
type Item struct{ JID, Node, Name string }

// NewDisco returns an empty registry.
func NewDisco() *Disco {
	return &Disco{features: map[router.Target][]string{}, identities: map[router.Target][]Identity{}}
}

func (d *Disco) addFeature(t router.Target, f string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !slices.Contains(d.features[t], f) {
		d.features[t] = append(d.features[t], f)
	}
}

func (d *Disco) addIdentity(t router.Target, id Identity) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !slices.Contains(d.identities[t], id) {
		d.identities[t] = append(d.identities[t], id)
	}
}

func (d *Disco) addItem(it Item) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !slices.Contains(d.items, it) {
		d.items = append(d.items, it)
	}
}

// Features returns target's features, sorted (XEP-0115 hashes need order).
func (d *Disco) Features(t router.Target) []string {
	d.mu.RLock()
	defer d.mu.RUnlock()
	f := slices.Clone(d.features[t])
	slices.Sort(f)
	return f
}

// Identities returns target's identities.
func (d *Disco) Identities(t router.Target) []Identity {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return slices.Clone(d.identities[t])
}

// Items returns the server's disco#items.
func (d *Disco) Items() []Item {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return slices.Clone(d.items)
}

// Set runs a list of modules: started in order, stopped in reverse.
type Set struct {
	deps    Deps
	started []started
}

type started struct {
	m Module
	h *Host
}

// NewSet returns an empty set sharing deps.
func NewSet(d Deps) *Set {
	if d.Disco == nil {
		d.Disco = NewDisco()
	}
	return &Set{deps: d}
}

// Disco returns the set's disco registry.
func (s *Set) Disco() *Disco { return s.deps.Disco }

// Start starts mods in order. If one fails, the ones already started are
// stopped and the error names the module.
func (s *Set) Start(ctx context.Context, mods []Module) error {
	for _, m := range mods {
		h := NewHost(m.Name(), s.deps)
		if err := m.Start(ctx, h); err != nil {
			h.undo()
			return errors.Join(fmt.Errorf("module %s: %w", m.Name(), err), s.Stop(ctx))
		}
		s.started = append(s.started, started{m, h})
	}
	return nil
}

// Stop stops every started module in reverse order, running all of them
// and joining their errors.
func (s *Set) Stop(ctx context.Context) error {
	var errs []error
	for i := len(s.started) - 1; i >= 0; i-- {
		st := s.started[i]
		if err := st.m.Stop(ctx); err != nil {
			errs = append(errs, fmt.Errorf("module %s: %w", st.m.Name(), err))
		}
		st.h.undo()
	}
	s.started = nil
	return errors.Join(errs...)
}

func (h *Host) undo() {
	for i := len(h.removes) - 1; i >= 0; i-- {
		h.removes[i]()
	}
	h.removes = nil
}
