package muc

import (
	"context"
	"strconv"

	"mellium.im/xmpp/jid"

	"github.com/meerkat-xmpp/meerkat/stanza"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// Config form field names (XEP-0045 §15.5.3).
const (
	fName      = "muc#roomconfig_roomname"
	fDesc      = "muc#roomconfig_roomdesc"
	fPersist   = "muc#roomconfig_persistentroom"
	fPublic    = "muc#roomconfig_publicroom"
	fMembers   = "muc#roomconfig_membersonly"
	fModerated = "muc#roomconfig_moderatedroom"
	fPwProt    = "muc#roomconfig_passwordprotectedroom"
	fSecret    = "muc#roomconfig_roomsecret"
	fMaxUsers  = "muc#roomconfig_maxusers"
	fWhois     = "muc#roomconfig_whois"
	fHistory   = "muc#roomconfig_historylength"
	fMaxHist   = "muc#maxhistoryfetch"
	fSubject   = "muc#roomconfig_changesubject"
	fInvites   = "muc#roomconfig_allowinvites"
	fPM        = "muc#roomconfig_allowpm"
	fOwners    = "muc#roomconfig_roomowners"
	fAdmins    = "muc#roomconfig_roomadmins"
	fLang      = "muc#roomconfig_lang"
)

// configForm returns the room configuration form (XEP-0045 §10.2).
func (r *Room) configForm(from jid.JID) (*stream.Element, *stanza.Error) {
	if r.affOf(from.Bare().String()) != AffOwner {
		return nil, errForbidden()
	}
	c := r.cfg
	x := stream.NewElement(NSData, "x", "type", "form")
	x.AddChild(stream.NewElement(NSData, "title").AddText("Configuration for " + r.jid.String()))
	x.AddChild(hidden("FORM_TYPE", formConfig))
	x.AddChild(field(fName, "text-single", "Natural-Language Room Name", c.Name))
	x.AddChild(field(fDesc, "text-single", "Short Description of Room", c.Description))
	x.AddChild(field(fLang, "text-single", "Natural Language for Room Discussions", c.Lang))
	x.AddChild(field(fPersist, "boolean", "Make Room Persistent?", boolStr(c.Persistent)))
	x.AddChild(field(fPublic, "boolean", "Make Room Publicly Searchable?", boolStr(c.Public)))
	x.AddChild(field(fMembers, "boolean", "Make Room Members-Only?", boolStr(c.MembersOnly)))
	x.AddChild(field(fModerated, "boolean", "Make Room Moderated?", boolStr(c.Moderated)))
	x.AddChild(field(fPwProt, "boolean", "Password Required to Enter?", boolStr(c.Password != "")))
	x.AddChild(field(fSecret, "text-private", "Password", c.Password))
	mu := field(fMaxUsers, "list-single", "Maximum Number of Occupants", strconv.Itoa(c.MaxUsers))
	for _, n := range []int{10, 20, 30, 50, 100, 200, 500, 1000, 3000, 5000} {
		if n <= r.svc.m.cfg.MaxUsers {
			option(mu, strconv.Itoa(n), strconv.Itoa(n))
		}
	}
	x.AddChild(mu)
	w := field(fWhois, "list-single", "Who May Discover Real JIDs?", c.Whois)
	option(w, "Moderators Only", whoisModerators)
	option(w, "Anyone", whoisAnyone)
	x.AddChild(w)
	x.AddChild(field(fHistory, "text-single", "Number of messages kept as history", strconv.Itoa(c.HistoryLength)))
	x.AddChild(field(fSubject, "boolean", "Allow Occupants to Change Subject?", boolStr(c.ChangeSubject)))
	x.AddChild(field(fInvites, "boolean", "Allow Occupants to Invite Others?", boolStr(c.AllowInvites)))
	pm := field(fPM, "list-single", "Who May Send Private Messages?", c.AllowPM)
	for _, v := range []string{"anyone", "participants", "moderators", "none"} {
		option(pm, v, v)
	}
	x.AddChild(pm)
	var owners, admins []string
	for b, e := range r.affs {
		switch e.aff {
		case AffOwner:
			owners = append(owners, b)
		case AffAdmin:
			admins = append(admins, b)
		}
	}
	x.AddChild(field(fOwners, "jid-multi", "Full List of Room Owners", owners...))
	x.AddChild(field(fAdmins, "jid-multi", "Full List of Room Admins", admins...))
	return stream.NewElement(NSOwner, "query").AddChild(x), nil
}

// ownerSet handles a submitted or canceled configuration form, room
// destruction, and (older clients) owner and admin list changes.
func (r *Room) ownerSet(ctx context.Context, from jid.JID, o *occupant, q *stream.Element) *stanza.Error {
	if r.affOf(from.Bare().String()) != AffOwner {
		return errForbidden()
	}
	if d := q.Child(NSOwner, "destroy"); d != nil {
		r.destroy(ctx, d.Attr("jid"), d.ChildText(NSOwner, "reason"), d.ChildText(NSOwner, "password"))
		return nil
	}
	if q.Child(NSOwner, "item") != nil {
		return r.adminSet(ctx, from, o, q)
	}
	x := q.Child(NSData, "x")
	switch {
	case x == nil:
		return stanza.ErrBadRequest("")
	case x.Attr("type") == "cancel":
		if r.locked {
			r.destroy(ctx, "", "", "")
		}
		return nil
	case x.Attr("type") != "submit":
		return stanza.ErrBadRequest("")
	}
	return r.applyConfig(ctx, parseForm(x))
}

// applyConfig applies a submitted form; absent fields keep their values,
// so an empty form makes an instant room.
func (r *Room) applyConfig(ctx context.Context, f form) *stanza.Error {
	if t := f.get("FORM_TYPE"); t != "" && t != formConfig {
		return stanza.ErrBadRequest("wrong FORM_TYPE")
	}
	c := r.cfg
	str := func(k string, p *string) {
		if f.has(k) {
			*p = f.get(k)
		}
	}
	boolean := func(k string, p *bool) {
		if f.has(k) {
			*p = f.bool(k)
		}
	}
	str(fName, &c.Name)
	str(fDesc, &c.Description)
	str(fLang, &c.Lang)
	boolean(fPersist, &c.Persistent)
	boolean(fPublic, &c.Public)
	boolean(fMembers, &c.MembersOnly)
	boolean(fModerated, &c.Moderated)
	boolean(fSubject, &c.ChangeSubject)
	boolean(fInvites, &c.AllowInvites)
	str(fSecret, &c.Password)
	if f.has(fPwProt) && !f.bool(fPwProt) {
		c.Password = ""
	}
	for _, k := range []string{fMaxUsers} {
		if f.has(k) {
			n, err := strconv.Atoi(f.get(k))
			if err != nil || n < 1 || n > r.svc.m.cfg.MaxUsers {
				return stanza.NewError(stanza.NotAcceptable, "maxusers must be between 1 and "+strconv.Itoa(r.svc.m.cfg.MaxUsers))
			}
			c.MaxUsers = n
		}
	}
	for _, k := range []string{fHistory, fMaxHist} {
		if f.has(k) {
			n, err := strconv.Atoi(f.get(k))
			if err != nil || n < 0 || n > r.svc.m.cfg.MaxHistory {
				return stanza.NewError(stanza.NotAcceptable, "history length must be between 0 and "+strconv.Itoa(r.svc.m.cfg.MaxHistory))
			}
			c.HistoryLength = n
		}
	}
	if f.has(fWhois) {
		switch w := f.get(fWhois); w {
		case whoisAnyone, whoisModerators:
			c.Whois = w
		default:
			return stanza.NewError(stanza.NotAcceptable, "whois is moderators or anyone")
		}
	}
	if f.has(fPM) {
		switch v := f.get(fPM); v {
		case "anyone", "participants", "moderators", "none":
			c.AllowPM = v
		default:
			return stanza.NewError(stanza.NotAcceptable, "allowpm is anyone, participants, moderators or none")
		}
	}
	// Owner and admin lists: validated first, then applied.
	lists := map[Affiliation][]string{}
	for aff, k := range map[Affiliation]string{AffOwner: fOwners, AffAdmin: fAdmins} {
		if !f.has(k) {
			continue
		}
		for _, v := range f[k] {
			j, err := jid.Parse(v)
			if err != nil {
				return stanza.NewError(stanza.JIDMalformed, "")
			}
			lists[aff] = append(lists[aff], j.Bare().String())
		}
	}
	if owners, ok := lists[AffOwner]; ok && len(owners) == 0 {
		return stanza.NewError(stanza.Conflict, "a room keeps at least one owner")
	}
	old := r.cfg
	wasLocked := r.locked
	r.cfg = c
	r.locked = false
	for aff, bares := range lists {
		want := map[string]bool{}
		for _, b := range bares {
			want[b] = true
			if r.affOf(b) != aff {
				r.applyAff(ctx, b, aff, "", "")
			}
		}
		for b, e := range r.affs {
			if e.aff == aff && !want[b] {
				r.applyAff(ctx, b, AffNone, "", "")
			}
		}
	}
	if len(r.history) > c.HistoryLength {
		r.history = append(r.history[:0], r.history[len(r.history)-c.HistoryLength:]...)
		r.histChanged()
	}
	switch {
	case old.Persistent && !c.Persistent:
		r.unsave(ctx)
	case !c.Persistent:
	case !old.Persistent || wasLocked:
		r.save(ctx, true)
	default:
		r.save(ctx, false)
	}
	if c.MembersOnly && !old.MembersOnly {
		for _, o := range r.nicks {
			if r.affOf(o.bare.String()) < AffMember {
				r.remove(o, &presOpts{codes: []string{codeMembersOnly}})
			}
		}
	}
	if !wasLocked {
		codes := []string{codeConfig}
		if c.Whois != old.Whois {
			if c.Whois == whoisAnyone {
				codes = append(codes, codeNonAnonNow)
			} else {
				codes = append(codes, codeSemiAnonNow)
			}
		}
		m := stream.NewElement(stream.NSClient, "message", "from", r.jid.String(), "type", "groupchat")
		x := stream.NewElement(NSUser, "x")
		for _, code := range codes {
			x.AddChild(stream.NewElement(NSUser, "status", "code", code))
		}
		r.broadcastAll(newBroadcast(m.AddChild(x)))
	}
	r.removeIfEmpty()
	return nil
}

// destroy ends the room (XEP-0045 §10.9): every occupant is told, with the
// alternate venue if any, and a persistent room leaves storage.
func (r *Room) destroy(ctx context.Context, alt, reason, password string) {
	d := stream.NewElement(NSUser, "destroy")
	if alt != "" {
		d.SetAttr("jid", alt)
	}
	if reason != "" {
		d.AddChild(stream.NewElement(NSUser, "reason").AddText(reason))
	}
	if password != "" {
		d.AddChild(stream.NewElement(NSUser, "password").AddText(password))
	}
	for _, o := range r.nicks {
		r.remove(o, &presOpts{extra: d, item: func(it *stream.Element) {
			it.SetAttr("affiliation", "none")
			it.SetAttr("role", "none")
		}})
	}
	if r.cfg.Persistent {
		r.unsave(ctx)
	}
	r.cfg.Persistent = false
	r.locked = false
	r.removeIfEmpty()
	r.svc.m.metrics.destroyed.Inc()
}

// registerForm answers a request to register a nick (XEP-0045 §7.10).
func (r *Room) registerForm(from jid.JID) (*stream.Element, *stanza.Error) {
	q := stream.NewElement(NSRegister, "query")
	if e, ok := r.affs[from.Bare().String()]; ok && e.nick != "" {
		q.AddChild(stream.NewElement(NSRegister, "registered"))
		q.AddChild(stream.NewElement(NSRegister, "username").AddText(e.nick))
		return q, nil
	}
	if r.affOf(from.Bare().String()) == AffOutcast {
		return nil, errForbidden()
	}
	x := stream.NewElement(NSData, "x", "type", "form")
	x.AddChild(stream.NewElement(NSData, "title").AddText("Nickname registration for " + r.jid.String()))
	x.AddChild(hidden("FORM_TYPE", formReg))
	x.AddChild(field("muc#register_roomnick", "text-single", "Desired Nickname"))
	return q.AddChild(x), nil
}

// register stores a nick for the user and makes it a member; an empty
// nick or <remove/> cancels the registration.
func (r *Room) register(ctx context.Context, from jid.JID, q *stream.Element) *stanza.Error {
	bare := from.Bare().String()
	aff := r.affOf(bare)
	if aff == AffOutcast {
		return errForbidden()
	}
	if q.Child(NSRegister, "remove") != nil {
		e := r.affs[bare]
		e.nick = ""
		r.affs[bare] = e
		r.setAff(bare, e.aff, e.reason)
		r.saveAff(ctx, bare)
		return nil
	}
	nick := parseForm(q.Child(NSData, "x")).get("muc#register_roomnick")
	if nick == "" {
		return stanza.NewError(stanza.NotAcceptable, "a nick is required")
	}
	nick, bad := enforceNick(nick)
	if bad != nil {
		return bad
	}
	if owner := r.nickOwner(nick); owner != "" && owner != bare {
		return stanza.NewError(stanza.Conflict, "that nick is registered by someone else")
	}
	if o := r.byNick(nick); o != nil && o.bare.String() != bare {
		return stanza.NewError(stanza.Conflict, "that nick is in use")
	}
	e := r.affs[bare]
	e.nick = nick
	if aff < AffMember {
		e.aff = AffMember
	} else {
		e.aff = aff
	}
	r.affs[bare] = e
	r.saveAff(ctx, bare)
	return nil
}
