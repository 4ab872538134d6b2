// Meerkat demo chat: log in, roster, one-to-one chat, rooms (XEP-0045),
// live messages. WebSocket goes through @xmpp/client, BOSH through
// strophe.js, which keeps the BOSH session (sid, next rid) in
// sessionStorage so a page reload picks the same session up again.
(() => {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const NS_CLIENT = 'jabber:client';
  const NS_ROSTER = 'jabber:iq:roster';
  const NS_MUC = 'http://jabber.org/protocol/muc';
  const NS_PING = 'urn:xmpp:ping';
  const STORE = 'meerkat-demo';

  const state = { conn: null, jid: null, transport: null, peer: null, rooms: {}, contacts: [], logs: {}, online: false };
  window.meerkatDemo = state; // for the browser tests and the curious

  const bare = (j) => (j || '').split('/')[0];
  const resource = (j) => { const i = (j || '').indexOf('/'); return i < 0 ? '' : j.slice(i + 1); };
  const esc = (s) => String(s).replace(/[&<>'"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', "'": '&apos;', '"': '&quot;' }[c]));
  const parse = (s) => new DOMParser().parseFromString(s, 'text/xml').documentElement;
  const rand = () => Math.random().toString(36).slice(2, 8);

  function save() {
    sessionStorage.setItem(STORE, JSON.stringify({ transport: state.transport, jid: state.jid, rooms: state.rooms, contacts: state.contacts, logs: state.logs, peer: state.peer }));
  }

  // XEP-0156: find the endpoints from host-meta, or fall back to the defaults.
  async function endpoints() {
    const secure = location.protocol === 'https:';
    const found = { websocket: (secure ? 'wss://' : 'ws://') + location.host + '/xmpp-websocket', bosh: location.origin + '/http-bind' };
    try {
      const r = await fetch('/.well-known/host-meta.json');
      for (const l of (await r.json()).links || []) {
        if (l.rel === 'urn:xmpp:alt-connections:websocket') found.websocket = l.href;
        if (l.rel === 'urn:xmpp:alt-connections:xbosh') found.bosh = l.href;
      }
    } catch (e) { /* defaults */ }
    return found;
  }

  // WebSocket through @xmpp/client.
  class WebSocketConn {
    constructor(service) { this.service = service; }
    async connect(jid, password, onStanza, onStatus) {
      const { client } = window.XMPP;
      const [local, domain] = bare(jid).split('@');
      this.x = client({ service: this.service, domain, username: local, password, resource: 'web-' + rand() });
      this.x.on('stanza', (s) => onStanza(parse(s.toString())));
      this.x.on('error', (e) => onStatus('error: ' + e.message));
      this.x.on('offline', () => onStatus('offline'));
      const addr = await this.x.start();
      return addr.toString();
    }
    send(xml) { return this.x.send(toLtx(parse(xml))); }
    async disconnect() { try { await this.x.stop(); } catch (e) { /* gone */ } }
  }

  function toLtx(el) {
    const attrs = {};
    for (const a of el.attributes) attrs[a.name] = a.value;
    const kids = [];
    for (const n of el.childNodes) {
      if (n.nodeType === 1) kids.push(toLtx(n));
      else if (n.nodeType === 3) kids.push(n.nodeValue);
    }
    return window.XMPP.xml(el.tagName, attrs, ...kids);
  }

  // strophe.js: BOSH with keepalive (session restore on reload), and
  // WebSocket on plain-http pages, where @xmpp/client's browser bundle
  // (PLAIN and ANONYMOUS only) cannot log in: PLAIN needs TLS, and strophe
  // does SCRAM through WebCrypto.
  class StropheConn {
    constructor(service) {
      this.S = window.Strophe.Strophe || window.Strophe;
      this.c = new this.S.Connection(service, { keepalive: true });
    }
    _cb(resolve, reject, onStanza, onStatus) {
      const St = this.S.Status;
      return (status, cond) => {
        if (status === St.CONNECTED || status === St.ATTACHED) {
          this.c.addHandler((el) => { onStanza(el); return true; });
          resolve(this.c.jid);
        } else if (status === St.AUTHFAIL || status === St.CONNFAIL || status === St.ATTACHFAIL) {
          reject(new Error(cond || 'connection failed'));
        } else if (status === St.DISCONNECTED) {
          onStatus('offline');
        }
      };
    }
    connect(jid, password, onStanza, onStatus) {
      return new Promise((resolve, reject) => this.c.connect(bare(jid) + '/web-' + rand(), password, this._cb(resolve, reject, onStanza, onStatus)));
    }
    restore(onStanza, onStatus) {
      return new Promise((resolve, reject) => {
        try { this.c.restore(null, this._cb(resolve, reject, onStanza, onStatus)); } catch (e) { reject(e); }
      });
    }
    send(xml) { this.c.send(parse(xml)); this.c.flush(); }
    async disconnect() { this.c.disconnect('bye'); }
  }

  function status(text) { $('whoami').textContent = text; }

  function addLog(key, from, body, cls) {
    (state.logs[key] = state.logs[key] || []).push({ from, body, cls });
    save();
    if (key === state.peer) renderLog();
  }

  function renderLog() {
    const log = $('log');
    log.textContent = '';
    for (const m of state.logs[state.peer] || []) {
      const div = document.createElement('div');
      div.className = 'msg ' + (m.cls || '');
      div.dataset.from = m.from;
      const f = document.createElement('span');
      f.className = 'from';
      f.textContent = m.from;
      const b = document.createElement('span');
      b.className = 'body';
      b.textContent = m.body;
      div.append(f, b);
      log.append(div);
    }
    log.scrollTop = log.scrollHeight;
  }

  function renderLists() {
    const ul = $('contacts');
    ul.textContent = '';
    for (const c of state.contacts) {
      const li = document.createElement('li');
      li.textContent = c;
      li.dataset.jid = c;
      if (c === state.peer) li.className = 'active';
      li.onclick = () => select(c);
      ul.append(li);
    }
    const rl = $('rooms');
    rl.textContent = '';
    for (const r of Object.keys(state.rooms)) {
      const li = document.createElement('li');
      li.textContent = r + (state.rooms[r].joined ? ' (joined)' : ' (joining)');
      li.dataset.jid = r;
      li.onclick = () => select(r);
      rl.append(li);
    }
  }

  function addContact(j) {
    if (!j || state.rooms[j] || state.contacts.includes(j)) return;
    state.contacts.push(j);
    save();
    renderLists();
  }

  function select(j) {
    state.peer = j;
    $('peer-title').textContent = (state.rooms[j] ? 'Room ' : 'Chat with ') + j;
    save();
    renderLists();
    renderLog();
  }

  function onStanza(el) {
    const from = el.getAttribute('from') || '';
    const type = el.getAttribute('type') || '';
    const child = (name) => Array.from(el.children).find((c) => c.localName === name);
    if (el.localName === 'message') {
      const body = child('body');
      if (type === 'error' || !body) return;
      if (type === 'groupchat') {
        addLog(bare(from), resource(from), body.textContent, 'room');
      } else {
        addContact(bare(from));
        addLog(bare(from), bare(from), body.textContent, 'in');
      }
    } else if (el.localName === 'presence') {
      const room = state.rooms[bare(from)];
      if (room && resource(from) === room.nick && type !== 'error') {
        room.joined = type !== 'unavailable';
        save();
        renderLists();
      }
    } else if (el.localName === 'iq') {
      const q = child('query');
      if (type === 'result' && q && q.namespaceURI === NS_ROSTER) {
        for (const item of q.children) addContact(item.getAttribute('jid'));
      } else if (type === 'get' && child('ping') && child('ping').namespaceURI === NS_PING && state.transport === 'bosh') {
        state.conn.send(`<iq xmlns='${NS_CLIENT}' type='result' id='${esc(el.getAttribute('id'))}' to='${esc(from)}'/>`);
      }
    }
  }

  function online(jid) {
    state.jid = jid;
    state.online = true;
    status('online as ' + jid + ' (' + state.transport + ', ' + state.library + ')');
    $('login').classList.add('hidden');
    $('chat').classList.remove('hidden');
    save();
    renderLists();
    if (state.peer) select(state.peer);
    state.conn.send(`<iq xmlns='${NS_CLIENT}' type='get' id='roster-${rand()}'><query xmlns='${NS_ROSTER}'/></iq>`);
  }

  function onStatus(s) {
    state.online = s !== 'offline' && !s.startsWith('error') ? state.online : false;
    if (!state.online) status(s);
  }

  $('login-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    $('login-error').textContent = '';
    const eps = await endpoints();
    state.transport = $('transport').value;
    if (state.transport === 'bosh') state.conn = new StropheConn(eps.bosh);
    else if (location.protocol === 'https:') state.conn = new WebSocketConn(eps.websocket);
    else state.conn = new StropheConn(eps.websocket);
    state.library = state.conn instanceof WebSocketConn ? '@xmpp/client' : 'strophe.js';
    status('connecting over ' + state.transport + '…');
    try {
      const jid = await state.conn.connect($('jid').value.trim(), $('password').value, onStanza, onStatus);
      state.conn.send(`<presence xmlns='${NS_CLIENT}'/>`);
      online(jid);
    } catch (e) {
      $('login-error').textContent = 'Login failed: ' + (e.message || e);
      status('offline');
    }
  });

  $('send-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const text = $('message').value;
    if (!text || !state.peer || !state.online) return;
    const room = state.rooms[state.peer];
    state.conn.send(`<message xmlns='${NS_CLIENT}' to='${esc(state.peer)}' type='${room ? 'groupchat' : 'chat'}' id='m-${rand()}'><body>${esc(text)}</body></message>`);
    if (!room) addLog(state.peer, 'me', text, 'out');
    $('message').value = '';
  });

  $('add-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const j = $('add-jid').value.trim();
    if (!j) return;
    addContact(j);
    select(j);
    $('add-jid').value = '';
  });

  $('join-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const room = $('room-jid').value.trim().toLowerCase();
    const nick = $('room-nick').value.trim() || state.jid.split('@')[0];
    if (!room) return;
    state.rooms[room] = { nick, joined: false };
    state.conn.send(`<presence xmlns='${NS_CLIENT}' to='${esc(room + '/' + nick)}'><x xmlns='${NS_MUC}'/></presence>`);
    select(room);
  });

  $('logout').addEventListener('click', async () => {
    if (state.conn) await state.conn.disconnect();
    sessionStorage.removeItem(STORE);
    location.reload();
  });

  // After a reload: a BOSH session is picked up again where it was.
  (async () => {
    let saved;
    try { saved = JSON.parse(sessionStorage.getItem(STORE) || 'null'); } catch (e) { saved = null; }
    if (!saved || saved.transport !== 'bosh' || !sessionStorage.getItem('strophe-bosh-session')) return;
    Object.assign(state, { rooms: saved.rooms || {}, contacts: saved.contacts || [], logs: saved.logs || {}, peer: saved.peer, transport: 'bosh' });
    const eps = await endpoints();
    state.conn = new StropheConn(eps.bosh);
    state.library = 'strophe.js';
    status('resuming BOSH session…');
    try {
      online(await state.conn.restore(onStanza, onStatus));
      state.restored = true;
    } catch (e) {
      status('offline (could not resume: ' + (e.message || e) + ')');
    }
  })();
})();
