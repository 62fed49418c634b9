// Roomkeeper browser client: speaks the room protocol (PROTOCOL.md §2) at /ws.
// Everything from the network goes into the page through textContent only.
'use strict';

const CLOSE_TEXT = {
  1000: 'The connection was closed.',
  1001: 'The server is stopping.',
  1008: 'Disconnected: too many requests (rate limit).',
  1009: 'Disconnected: a message was too large.',
  4003: 'You are banned from this server.',
  4008: 'Disconnected: the connection was too slow.',
  4009: 'Disconnected: heartbeat timeout.',
  4010: 'You were kicked.',
  4011: 'You were banned.',
  4013: 'Too many connections to the server.',
};
const HISTORY_LIMIT = 300;

const S = {
  ws: null, key: null, me: null, heartbeat: 15000,
  name: '', attempt: 0, retryTimer: 0, watchdog: 0,
  rooms: [],            // last `rooms` reply
  joined: new Map(),    // room_id -> room state (rooms this connection is in)
  users: new Map(),     // user_id -> {name, color}, everyone seen in shared rooms
  current: null,        // room_id on screen
  opening: null,        // room_id (or 'new') to show once its `room` frame arrives
  wanted: new Set(load(sessionStorage, 'rk.rooms', [])), // rooms to re-enter after a drop
};

const $ = (id) => document.getElementById(id);

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node[k] = v;
  }
  for (const c of children) if (c != null) node.append(c); // strings become text nodes
  return node;
}

function load(store, key, fallback) {
  try { return JSON.parse(store.getItem(key)) ?? fallback; } catch { return fallback; }
}
function save(store, key, value) {
  try { store.setItem(key, JSON.stringify(value)); } catch { /* full or disabled */ }
}

const safeColor = (c) => (/^#[0-9a-f]{6}$/i.test(c || '') ? c : '#778899');
const userName = (id) => S.users.get(id)?.name || `user ${String(id).slice(0, 8)}`;
const roomName = (id) => S.joined.get(id)?.name || S.rooms.find((r) => r.room_id === id)?.name || 'a room';
const isAdmin = (room) => !!(room && S.me && room.people.get(S.me.user_id)?.admin);

function timeText(ms) {
  const d = new Date(ms);
  const t = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return d.toDateString() === new Date().toDateString() ? t : `${d.toLocaleDateString()} ${t}`;
}

// ---- connection -----------------------------------------------------------------------

function connect() {
  clearTimeout(S.retryTimer);
  const old = S.ws;
  S.ws = null; // its close event is ignored from now on
  old?.close();
  const url = new URL('/ws', location.href);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  url.searchParams.set('name', S.name);
  const token = localStorage.getItem('rk.token');
  if (token) url.searchParams.set('token', token);
  setStatus(S.attempt ? 'reconnecting' : 'connecting', S.attempt ? 'reconnecting…' : 'connecting…');
  const ws = new WebSocket(url);
  S.ws = ws;
  armWatchdog();
  ws.onmessage = (e) => { armWatchdog(); let f; try { f = JSON.parse(e.data); } catch { return; } handle(f); };
  ws.onclose = (e) => { if (S.ws === ws) dropped(e.code); };
}

function dropped(code) {
  S.ws = null; S.key = null;
  clearTimeout(S.watchdog);
  // Keep the rooms and their history on screen; `session` enters them again.
  if (![1000, 1005, 1006].includes(code)) notice(CLOSE_TEXT[code] || `Disconnected (code ${code}).`, 'warn');
  if (code === 4003) { // banned by address: retrying would only be refused again
    setStatus('offline', 'offline');
    showBanner('You are banned from this server.', true);
  } else {
    const base = Math.min(15000, 500 * 2 ** S.attempt++);
    const delay = Math.round(base / 2 + Math.random() * base / 2);
    setStatus('reconnecting', 'reconnecting…');
    showBanner(`Connection lost. Reconnecting in ${Math.ceil(delay / 1000)} s…`, true);
    S.retryTimer = setTimeout(connect, delay);
  }
  render();
}

function armWatchdog() { // nothing (not even a ping) for 2.5 heartbeats: the link is dead
  clearTimeout(S.watchdog);
  S.watchdog = setTimeout(() => {
    const ws = S.ws;
    if (!ws) return;
    S.ws = null;
    ws.close();
    dropped(4009);
  }, S.heartbeat * 2.5);
}

function raw(frame) {
  if (S.ws?.readyState !== WebSocket.OPEN) return false;
  S.ws.send(JSON.stringify(frame));
  return true;
}
const req = (type, fields = {}) => raw({ type, key: S.key, ...fields });

let roomsTimer = 0;
function refreshRooms() { clearTimeout(roomsTimer); roomsTimer = setTimeout(() => req('rooms'), 150); }

// ---- incoming frames ------------------------------------------------------------------

function handle(f) {
  switch (f.type) {
    case 'session':
      S.key = f.key; S.heartbeat = f.heartbeat_interval || 15000; S.attempt = 0;
      S.me = { user_id: f.user_id, name: f.name, color: f.color };
      S.users.set(f.user_id, { name: f.name, color: f.color });
      localStorage.setItem('rk.token', f.token);
      setStatus('online', 'online'); showBanner(null);
      armWatchdog();
      req('rooms');
      for (const id of S.wanted) req('enter', { room_id: id });
      break;
    case 'ping': raw({ type: 'pong', time: f.time }); return;
    case 'rooms': S.rooms = Array.isArray(f.rooms) ? f.rooms : []; break;
    case 'room': onRoom(f); break;
    case 'message': onMessage(f); break;
    case 'read': {
      const room = S.joined.get(f.room_id);
      if (room && f.message_id > (room.reads[f.user_id] || 0)) {
        room.reads[f.user_id] = f.message_id;
        persist(room);
      }
      break;
    }
    case 'enter': {
      const room = S.joined.get(f.room_id);
      S.users.set(f.user_id, { name: f.name, color: f.color });
      if (!room) break;
      if (!room.people.has(f.user_id) && f.user_id !== S.me?.user_id) addLine(room, `${f.name} entered`);
      room.people.set(f.user_id, { name: f.name, color: f.color, admin: !!f.admin });
      refreshRooms();
      break;
    }
    case 'exit': {
      const room = S.joined.get(f.room_id);
      if (!room) break;
      if (f.user_id === S.me?.user_id) { leftRoom(f.room_id); break; }
      room.people.delete(f.user_id);
      const how = { kick: 'was kicked', ban: 'was banned' }[f.reason] || 'left';
      addLine(room, `${userName(f.user_id)} ${how}`);
      refreshRooms();
      break;
    }
    case 'kick':
      notice(`You were ${f.permanent ? 'banned' : 'kicked'} from ${roomName(f.room_id)}` +
        (f.message ? `: ${f.message}` : '.'), 'error', true);
      leftRoom(f.room_id);
      break;
    case 'room_closed':
      S.rooms = S.rooms.filter((r) => r.room_id !== f.room_id);
      notice(`${roomName(f.room_id)} was closed` + (f.message ? `: ${f.message}` : '.'), 'warn', true);
      leftRoom(f.room_id);
      sessionStorage.removeItem(`rk.h.${f.room_id}`);
      break;
    case 'invite': onInvite(f); break;
    case 'error':
      if (f.ref === 'enter' && S.wanted.has(f.room_id)) leftRoom(f.room_id); // could not re-enter
      if (f.ref === 'enter' && S.opening === f.room_id) S.opening = null;
      notice(`${f.code}: ${f.message}` + (f.ref ? ` (${f.ref})` : ''), 'error');
      break;
    default: return; // pong and unknown frames
  }
  render();
}

function onRoom(f) {
  let room = S.joined.get(f.room_id);
  const isNew = !room;
  if (isNew) {
    const stored = load(sessionStorage, `rk.h.${f.room_id}`, {});
    room = { id: f.room_id, messages: stored.messages || [], reads: stored.reads || {}, unread: 0, sentRead: 0 };
    S.joined.set(f.room_id, room);
    S.wanted.add(f.room_id);
    save(sessionStorage, 'rk.rooms', [...S.wanted]);
    refreshRooms();
  }
  if (S.opening === f.room_id || (isNew && (S.opening === 'new' || !S.current))) {
    S.current = f.room_id;
    S.opening = null;
  }
  Object.assign(room, { name: f.name, closed: !!f.closed, chat_locked: !!f.chat_locked,
    max: f.max_participants || 0, people: new Map() });
  for (const p of f.participants || []) {
    room.people.set(p.user_id, { name: p.name, color: p.color, admin: !!p.admin });
    S.users.set(p.user_id, { name: p.name, color: p.color });
  }
}

function onMessage(f) {
  const room = S.joined.get(f.room_id);
  if (!room) return;
  const last = room.messages.findLast((m) => m.id)?.id || 0;
  if (f.message_id <= last) return; // already have it
  const time = Number.isFinite(f.time) ? f.time : Date.now();
  room.messages.push({ id: f.message_id, user_id: f.user_id, name: f.name, time, content: String(f.content) });
  if (f.room_id !== S.current) room.unread++;
  persist(room);
  if (f.room_id === S.current) stickToBottom = true;
}

function addLine(room, text) { room.messages.push({ line: text, time: Date.now() }); persist(room); }

function persist(room) {
  room.messages = room.messages.slice(-HISTORY_LIMIT);
  save(sessionStorage, `rk.h.${room.id}`, { messages: room.messages, reads: room.reads });
}

function forget(id) { S.wanted.delete(id); save(sessionStorage, 'rk.rooms', [...S.wanted]); }

function leftRoom(id) {
  S.joined.delete(id);
  forget(id);
  if (S.current === id) S.current = null;
  refreshRooms();
}

function onInvite(f) {
  const id = f.room_id;
  const item = notice(`${userName(f.user_id)} invited you to ${roomName(id)}.`, 'info', true);
  const done = () => item.remove();
  item.querySelector('.notice-actions').append(
    el('button', { type: 'button', text: 'Accept',
      onclick: () => { S.opening = id; req('enter', { room_id: id }); done(); } }),
    el('button', { type: 'button', class: 'ghost', text: 'Decline', onclick: done }));
  refreshRooms();
}

// ---- outgoing actions -------------------------------------------------------------------

function openRoom(id) {
  if (S.joined.has(id)) { S.current = id; S.joined.get(id).unread = 0; render(); }
  else { S.opening = id; req('enter', { room_id: id }); }
}

let readTimer = 0;
function maybeSendRead() {
  clearTimeout(readTimer);
  readTimer = setTimeout(() => {
    const room = S.joined.get(S.current);
    if (!room || document.visibilityState !== 'visible') return;
    const newest = room.messages.findLast((m) => m.id)?.id || 0;
    if (newest > room.sentRead && raw({ type: 'read', room_id: room.id, message_id: newest })) {
      room.sentRead = newest;
    }
  }, 250);
}

// ---- rendering --------------------------------------------------------------------------

let stickToBottom = true;

function setStatus(state, text) { const s = $('status'); s.dataset.state = state; s.textContent = text; }

function showBanner(text, retry) {
  $('banner').hidden = !text;
  $('banner-text').textContent = text || '';
  $('retry').hidden = !retry;
}

function notice(text, kind = 'info', sticky = false) {
  const item = el('li', { class: `notice ${kind}` },
    el('span', { class: 'notice-text', text }),
    el('span', { class: 'notice-actions' }),
    el('button', { type: 'button', class: 'ghost close', text: '×', title: 'Dismiss',
      onclick: () => item.remove() }));
  $('notices').append(item);
  if (!sticky) setTimeout(() => item.remove(), 10000);
  return item;
}

function badge(text, cls = '') { return el('span', { class: `badge ${cls}`, text }); }
function dot(color) { return el('span', { class: 'dot', style: `background:${safeColor(color)}` }); }

function render() {
  const room = S.joined.get(S.current);
  document.body.classList.toggle('in-room', !!room);
  $('me').hidden = !S.me;
  if (S.me) $('me').replaceChildren(dot(S.me.color), S.me.name);
  renderRoomList();
  $('empty').hidden = !!room;
  $('room').hidden = !room;
  renderRoom(room);
  renderPeople(room);
  if (room) { room.unread = 0; maybeSendRead(); }
}

function renderRoomList() {
  const infos = new Map(S.rooms.map((r) => [r.room_id, r]));
  for (const [id, r] of S.joined) { // our own rooms: live details
    infos.set(id, { room_id: id, name: r.name, closed: r.closed, chat_locked: r.chat_locked,
      participants: r.people.size, max_participants: r.max });
  }
  const items = [...infos.values()].map((r) => {
    const joined = S.joined.get(r.room_id);
    const meta = [r.max_participants ? `${r.participants} / ${r.max_participants} people`
      : `${r.participants} ${r.participants === 1 ? 'person' : 'people'}`];
    if (r.closed) meta.push('closed');
    if (r.chat_locked) meta.push('chat locked');
    return el('li', {},
      el('button', { type: 'button', class: `room-item${r.room_id === S.current ? ' active' : ''}`,
        onclick: () => openRoom(r.room_id) },
        el('span', { class: 'room-item-name', text: r.name }),
        joined?.unread ? badge(String(joined.unread), 'unread') : joined ? badge('joined', 'in') : null,
        el('span', { class: 'room-meta', text: meta.join(' · ') })));
  });
  if (!items.length) items.push(el('li', { class: 'muted', text: S.key ? 'No rooms yet.' : '…' }));
  $('room-list').replaceChildren(...items);
}

function renderRoom(room) {
  if (!room) return;
  const admin = isAdmin(room);
  $('room-name').textContent = room.name;
  $('room-badges').replaceChildren(room.closed ? badge('closed') : '',
    room.chat_locked ? badge('chat locked') : '', room.max ? badge(`max ${room.max}`) : '');
  $('settings').hidden = !admin;
  $('set-chat-locked').checked = room.chat_locked;
  $('set-closed').checked = room.closed;
  if (document.activeElement !== $('set-limit')) $('set-limit').value = room.max || '';
  const canWrite = !!S.key && (!room.chat_locked || admin);
  $('text').disabled = !canWrite;
  $('send').disabled = !canWrite;
  $('text').placeholder = !S.key ? 'Offline: waiting for the connection…'
    : canWrite ? `Message ${room.name}` : 'Chat locked: only admins can write';

  const list = $('messages');
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  // Each reader's mark goes under the newest message they have read that they did not write.
  const readers = new Map();
  for (const [uid, upTo] of Object.entries(room.reads)) {
    if (uid === S.me?.user_id) continue;
    const m = room.messages.findLast((x) => x.id && x.id <= upTo && x.user_id !== uid);
    if (m) readers.set(m.id, [...(readers.get(m.id) || []), userName(uid)]);
  }
  list.replaceChildren(...room.messages.map((m) => {
    if (!m.id) return el('li', { class: 'line', text: m.line });
    const mine = m.user_id === S.me?.user_id;
    const who = S.users.get(m.user_id);
    const names = readers.get(m.id);
    return el('li', { class: `msg${mine ? ' mine' : ''}` },
      el('div', { class: 'msg-head' },
        el('span', { class: 'author', text: m.name || who?.name || 'someone',
          style: `color:color-mix(in srgb, ${safeColor(who?.color)} 70%, var(--text))` }),
        el('time', { text: timeText(m.time), dateTime: new Date(m.time).toISOString() })),
      el('div', { class: 'content', text: m.content }),
      names ? el('div', { class: 'receipt', title: names.join(', '),
        text: names.length <= 3 ? `Read by ${names.join(', ')}` : `Read by ${names.length}` }) : null);
  }));
  if (atBottom || stickToBottom) list.scrollTop = list.scrollHeight;
  stickToBottom = false;
}

function renderPeople(room) {
  if (!room) { $('people').replaceChildren(); return; }
  const admin = isAdmin(room);
  const rows = [...room.people]
    .sort((a, b) => (b[1].admin - a[1].admin) || String(a[1].name).localeCompare(b[1].name));
  $('people').replaceChildren(...rows.map(([id, p]) => el('li', { class: 'person' },
    dot(p.color),
    el('span', { class: 'person-name', text: p.name }),
    p.admin ? badge('admin', 'admin') : null,
    id === S.me?.user_id ? badge('you') : null,
    admin && id !== S.me?.user_id ? el('span', { class: 'person-actions' },
      el('button', { type: 'button', class: 'ghost small', text: 'Kick',
        onclick: () => req('kick', { room_id: room.id, user_id: id }) }),
      el('button', { type: 'button', class: 'ghost small danger', text: 'Ban',
        onclick: () => confirm(`Ban ${p.name} from ${room.name}?`) &&
          req('kick', { room_id: room.id, user_id: id, permanent: true }) })) : null)));
  $('people-toggle').textContent = `People (${room.people.size})`;
  const choices = [...S.users].filter(([id]) => !room.people.has(id) && id !== S.me?.user_id);
  $('invite-form').hidden = !choices.length;
  const keep = $('invite-who').value;
  $('invite-who').replaceChildren(...choices.map(([id, u]) => el('option', { value: id, text: u.name })));
  if (choices.some(([id]) => id === keep)) $('invite-who').value = keep;
}

// ---- wiring -----------------------------------------------------------------------------

function start(name) {
  S.name = name.trim().slice(0, 32);
  localStorage.setItem('rk.name', S.name);
  $('login').hidden = true;
  $('app').hidden = false;
  connect();
  render();
}

function bind() {
  $('login').addEventListener('submit', (e) => {
    e.preventDefault();
    if (!$('login-name').value.trim()) return;
    S.attempt = 0;
    start($('login-name').value);
  });
  $('me').addEventListener('click', () => {
    $('login-name').value = S.name; $('login').hidden = false; $('app').hidden = true;
  });
  $('retry').addEventListener('click', () => { S.attempt = Math.max(S.attempt, 1); connect(); });
  $('refresh').addEventListener('click', () => req('rooms'));
  $('back').addEventListener('click', () => { S.current = null; render(); });
  $('people-toggle').addEventListener('click', () => document.body.classList.toggle('show-people'));
  $('people-close').addEventListener('click', () => document.body.classList.remove('show-people'));
  $('exit').addEventListener('click', () => S.current && req('exit', { room_id: S.current }));
  $('create-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const name = $('create-name').value.trim();
    if (!name) return;
    S.opening = 'new';
    req('create', { name, closed: $('create-closed').checked });
    $('create-name').value = '';
    $('create-closed').checked = false;
  });
  $('composer').addEventListener('submit', (e) => {
    e.preventDefault();
    const content = $('text').value;
    if (!content.trim() || !S.current) return;
    if (req('message', { room_id: S.current, content })) $('text').value = '';
  });
  $('text').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); $('composer').requestSubmit(); }
  });
  const update = (fields) => S.current && req('update', { room_id: S.current, ...fields });
  $('set-chat-locked').addEventListener('change', (e) => update({ chat_locked: e.target.checked }));
  $('set-closed').addEventListener('change', (e) => update({ closed: e.target.checked }));
  $('limit-form').addEventListener('submit', (e) => {
    e.preventDefault();
    update({ max_participants: Math.max(0, parseInt($('set-limit').value, 10) || 0) });
    $('set-limit').blur();
  });
  $('close-room').addEventListener('click', () => {
    if (S.current && confirm(`Close ${roomName(S.current)} for everyone?`)) req('close', { room_id: S.current });
  });
  $('invite-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const user_id = $('invite-who').value;
    if (user_id && S.current) {
      req('invite', { room_id: S.current, user_id });
      notice(`Invitation sent to ${userName(user_id)}.`);
    }
  });
  document.addEventListener('visibilitychange', maybeSendRead);
  window.addEventListener('focus', maybeSendRead);
}

bind();
const initial = new URLSearchParams(location.search).get('name') || localStorage.getItem('rk.name');
if (initial && initial.trim()) start(initial);
else $('login').hidden = false;
