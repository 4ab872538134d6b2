package muc

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/storage"
	"github.com/meerkat-xmpp/meerkat/stream"
)

const (
	whoisModerators = "moderators"
	whoisAnyone     = "anyone"
)

// roomConfig holds the muc#roomconfig options (XEP-0045 §10.2); it is
// stored as JSON with persistent rooms.
type roomConfig struct {
	Name          string `json:"name,omitempty"`
	Description   string `json:"description,omitempty"`
	Persistent    bool   `json:"persistent"`
	Public        bool   `json:"public"`
	MembersOnly   bool   `json:"members_only"`
	Moderated     bool   `json:"moderated"`
	Password      string `json:"password,omitempty"`
	MaxUsers      int    `json:"max_users"`
	Whois         string `json:"whois"`
	HistoryLength int    `json:"history_length"`
	ChangeSubject bool   `json:"change_subject"`
	AllowInvites  bool   `json:"allow_invites"`
	AllowPM       string `json:"allow_pm"` // anyone, participants, moderators, none
	Lang          string `json:"lang,omitempty"`
}

// session is one client session of an occupant.
type session struct {
	full jid.JID
	bare string
	res  string
	esc  []byte         // full JID escaped for an attribute value
	rs   router.Session // the session bound to full when it joined
}

// occupant is one nick in the room; several sessions of one user may
// share it (XEP-0045 §7.2.1 allows this).
type occupant struct {
	nick     string
	bare     jid.JID
	role     Role
	sessions []*session
	presence *stream.Element // the last presence, its muc payloads removed
	escNick  []byte          // room@service/nick escaped, for 'from'
}

type affEntry struct {
	aff    Affiliation
	reason string
	nick   string
}

type histItem struct {
	at time.Time
	el *stream.Element // from='room/nick', no 'to'
	n  int             // serialized size, for maxchars
}

// Room is one chat room. Every field below mu is guarded by it.
type Room struct {
	svc  *service
	name string
	jid  jid.JID

	mu        sync.Mutex
	cfg       roomConfig
	locked    bool // created, not yet configured (XEP-0045 §10.1)
	gone      bool // destroyed or emptied and removed from the directory
	affs      map[string]affEntry
	nicks     map[string]*occupant // nick → occupant
	folded    map[string]*occupant // nickKey(nick) → occupant, for conflicts
	byFull    map[string]*occupant // full JID → occupant
	subject   string
	subjectBy string
	history   []histItem
	creator   string
	relays    map[string]relay // relayed IQs waiting for an answer, by the id they went out with
	histDirty bool             // history changed since it was last written (history.go)
	storeGen  uint64           // counts removals from storage, so a late history write can tell

	storeMu sync.Mutex // orders history writes; never taken while mu is held
}

func (s *service) defaultConfig() roomConfig {
	c := s.m.cfg
	return roomConfig{
		Persistent: c.DefaultPersistent, Public: c.DefaultPublic, MaxUsers: c.MaxUsers, Whois: c.DefaultWhois,
		HistoryLength: c.HistoryLength, ChangeSubject: false, AllowInvites: false, AllowPM: "anyone",
	}
}

func (s *service) newRoom(name string, creator jid.JID) *Room {
	r := s.emptyRoom(name)
	r.cfg = s.defaultConfig()
	r.locked = true
	r.creator = creator.String()
	r.affs[r.creator] = affEntry{aff: AffOwner}
	return r
}

func (s *service) emptyRoom(name string) *Room {
	j, _ := jid.New(name, s.domain, "")
	return &Room{svc: s, name: name, jid: j, affs: map[string]affEntry{},
		nicks: map[string]*occupant{}, folded: map[string]*occupant{}, byFull: map[string]*occupant{}}
}

// load restores the service's persistent rooms from storage.
func (s *service) load(ctx context.Context) error {
	if s.m.store == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.m.cfg.StorageTimeout)
	defer cancel()
	rooms, err := s.m.store.Rooms(ctx, s.domain)
	if err != nil {
		return err
	}
	for _, sr := range rooms {
		r := s.emptyRoom(sr.Name)
		r.cfg = s.defaultConfig()
		if err := json.Unmarshal(sr.Config, &r.cfg); err != nil {
			s.m.log.Warn("stored room config unreadable, defaults used", "room", r.jid.String(), "err", err)
		}
		r.cfg.Persistent = true
		r.subject, r.subjectBy = sr.Subject, sr.SubjectBy
		affs, err := s.m.store.RoomAffiliations(ctx, s.domain, sr.Name)
		if err != nil {
			return err
		}
		msgs, err := s.m.store.RoomHistory(ctx, s.domain, sr.Name)
		if err != nil {
			return err
		}
		r.loadHistory(msgs)
		for _, a := range affs {
			aff, ok := ParseAffiliation(a.Affiliation)
			if !ok {
				continue
			}
			r.affs[a.JID] = affEntry{aff: aff, reason: a.Reason, nick: a.Nick}
		}
		s.rooms.GetOrCreate(sr.Name, func() *Room { return r })
		s.m.metrics.rooms.Inc()
	}
	return nil
}

// affOf returns bare's affiliation; service admins own every room.
func (r *Room) affOf(bare string) Affiliation {
	if r.svc.m.admins[bare] {
		return AffOwner
	}
	if e, ok := r.affs[bare]; ok {
		return e.aff
	}
	return AffNone
}

func (r *Room) owners() int {
	n := 0
	for _, e := range r.affs {
		if e.aff == AffOwner {
			n++
		}
	}
	return n
}

// storeCtx bounds a storage call.
func (r *Room) storeCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), r.svc.m.cfg.StorageTimeout)
}

// save writes a persistent room's config and subject, and on the first
// save its affiliations too. Errors are logged: the room lives on in memory.
func (r *Room) save(ctx context.Context, withAffs bool) {
	st := r.svc.m.store
	if st == nil || !r.cfg.Persistent || r.locked {
		return
	}
	ctx, cancel := r.storeCtx(ctx)
	defer cancel()
	b, _ := json.Marshal(r.cfg)
	err := st.SaveRoom(ctx, storage.StoredRoom{Service: r.svc.domain, Name: r.name, Config: b, Subject: r.subject, SubjectBy: r.subjectBy})
	if err == nil && withAffs {
		for bare, e := range r.affs {
			if err = st.SetRoomAffiliation(ctx, r.svc.domain, r.name, storage.RoomAffiliation{
				JID: bare, Affiliation: e.aff.String(), Reason: e.reason, Nick: e.nick}); err != nil {
				break
			}
		}
	}
	r.storeErr("save room", err)
	if withAffs {
		r.histChanged() // what was said before the room was first stored
	}
}

func (r *Room) saveAff(ctx context.Context, bare string) {
	st := r.svc.m.store
	if st == nil || !r.cfg.Persistent || r.locked {
		return
	}
	ctx, cancel := r.storeCtx(ctx)
	defer cancel()
	e, ok := r.affs[bare]
	if !ok {
		e = affEntry{aff: AffNone}
	}
	r.storeErr("save affiliation", st.SetRoomAffiliation(ctx, r.svc.domain, r.name,
		storage.RoomAffiliation{JID: bare, Affiliation: e.aff.String(), Reason: e.reason, Nick: e.nick}))
}

// unsave removes a room from storage (destroyed, or no longer persistent).
func (r *Room) unsave(ctx context.Context) {
	st := r.svc.m.store
	if st == nil {
		return
	}
	r.storeGen++
	ctx, cancel := r.storeCtx(ctx)
	defer cancel()
	if err := st.DeleteRoom(ctx, r.svc.domain, r.name); !errors.Is(err, storage.ErrNotFound) {
		r.storeErr("delete room", err)
	}
}

func (r *Room) storeErr(op string, err error) {
	if err != nil {
		r.svc.m.metrics.storeErrors.Inc()
		r.svc.m.log.Error("muc storage failed", "op", op, "room", r.jid.String(), "err", err)
	}
}

// setAff changes bare's affiliation in memory (none removes it unless a
// registered nick keeps the row).
func (r *Room) setAff(bare string, a Affiliation, reason string) {
	e := r.affs[bare]
	e.aff, e.reason = a, reason
	if a == AffNone && e.nick == "" {
		delete(r.affs, bare)
		return
	}
	r.affs[bare] = e
}

// removeIfEmpty drops a room that nobody is in and that need not stay:
// temporary rooms, and rooms still locked.
func (r *Room) removeIfEmpty() {
	if len(r.nicks) > 0 || (r.cfg.Persistent && !r.locked) || r.gone {
		return
	}
	r.gone = true
	r.svc.rooms.Remove(r.name, r)
	r.svc.m.metrics.rooms.Dec()
}

// occupantJID is room@service/nick.
func (r *Room) occupantJID(nick string) string { return r.jid.String() + "/" + nick }

// canSeeJIDs says whether role may see occupants' real JIDs.
func (r *Room) canSeeJIDs(role Role) bool {
	return r.cfg.Whois == whoisAnyone || role == RoleModerator
}
