// The page's link to its room: opens the socket (net.js), turns frames into scene changes,
// resumes after a drop and sends again whatever the server has not confirmed, and turns
// refusals into convergence plus a short notice. Nothing here knows about tools or pixels.

import { Connection } from './net.js';
import { cursorMsg, drawMsg, eraseMsgs, orderMsg, socketUrl, updateMsg } from './protocol.js';
import { unpackElements, withPack } from './packing.js';
import { cleanRole, cleanSettings } from './roles.js';
import { Throttle } from './throttle.js';

/** A remote cursor that has not moved for this long is hidden. */
const CURSOR_STALE_MS = 30000;
/** Cursor positions go out at most this often (about 30 per second). */
const CURSOR_EVERY_MS = 33;
/** Laser points and the teacher's view go out at most this often. */
const LASER_EVERY_MS = 33;
/** The recent clears, restores and imports the teacher can list. */
const MAX_BOARD_NOTICES = 20;
const REPLACED = { clear: 'cleared the board', restore: 'restored a version',
  import: 'imported a file', delete: 'deleted the board' };

/** A random id this browser keeps, so two people with one name get two presence entries. */
export function clientId() {
  try {
    let id = localStorage.getItem('lanboard.clientId');
    if (!id) {
      const bytes = crypto.getRandomValues(new Uint8Array(12));
      id = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
      localStorage.setItem('lanboard.clientId', id);
    }
    return id;
  } catch {
    return '';
  }
}

/** A board origin as the server gives it (1-32 lowercase hex digits); anything else is none. */
export function cleanOrigin(origin) {
  return typeof origin === 'string' && /^[0-9a-f]{1,32}$/.test(origin) ? origin : null;
}

/**
 * The socket URL with the origin of the board its `since` was counted on (issue 17): the
 * server resumes only onto that board, and answers a full sync for any other (a wiped server,
 * another LANBoard with a board of the same id). Without `since` there is nothing to name.
 */
export function withOrigin(url, origin) {
  const u = new URL(url);
  if (origin && u.searchParams.has('since')) u.searchParams.set('origin', origin);
  return u.toString();
}

/** The socket URL with the page's key (from its own address) and client id (issue 14). */
export function withKey(url, key, client) {
  const u = new URL(url);
  if (key) u.searchParams.set('key', key);
  if (client) u.searchParams.set('clientId', client);
  return u.toString();
}

export class Session {
  /**
   * @param {object} o
   * @param {string} o.roomId
   * @param {string} o.name the user id asked for
   * @param {object} o.scene
   * @param {(text: string) => void} o.notice shows a short status line
   * @param {() => void} o.changed something on the board or in presence changed
   * @param {(state: string, detail?: object) => void} o.onState connection state for the UI
   */
  constructor({ roomId, name, scene, notice, changed, onState, key = '' }) {
    this.roomId = roomId;
    this.scene = scene;
    this.notice = notice;
    this.changed = changed;
    this.me = { userId: name, color: null };
    /** The origin of the board the scene holds (sync, resume, or the kept copy); null: none. */
    this.origin = null;
    /** The name asked for (the server may answer another: `NAME (2)`); see rename(). */
    this.name = name;
    this.users = [];
    this.cursors = new Map();
    /** True when a cursor moved or left since the page last looked (takeCursorsMoved). */
    this._cursorsMoved = false;
    this.ready = false;
    this.stats = { syncReceivedAt: 0, syncToFrameMs: null, syncElements: 0, frames: 0 };
    /** Hooks the controller sets: after a catch-up, and after each frame of changes. */
    this.afterCatchUp = () => {};
    this.afterChanges = () => {};
    /** Called before unconfirmed changes go out again as full draws (buffered appends go). */
    this.onDropped = () => {};
    /** Another user's live drag transform (null: it ended), for the renderer. */
    this.onRemoteDrag = () => {};
    this._cursor = new Throttle(CURSOR_EVERY_MS, ([x, y]) => this.send(cursorMsg(x, y)));
    this._recoverTimer = null;
    /** Issue 14: our role and the board's settings, from sync, resume and `settings`. */
    this.key = key;
    this.role = 'student';
    this.settings = cleanSettings(null);
    /** The recent clears, restores and imports: [{by, reason, text, time}], newest last. */
    this.boardNotices = [];
    /** Hooks main.js sets: role or settings changed, a laser point, the teacher's view. */
    this.onSettings = () => {};
    this.onLaser = () => {};
    this.onView = () => {};
    this._laser = new Throttle(LASER_EVERY_MS,
      ([x, y]) => this.send({ type: 'laser', data: { x, y } }));
    const client = clientId();
    /** A kept key (not from the address) that was rotated since makes every attempt fail. */
    this.keptKey = false;
    /**
     * Issue 14, new links: the key the last attempt used; true while our own rotation is in
     * flight (the server ends this socket, and the answer's key carries on: useKey); the
     * 'replaced' close that came before that answer; and the hook for a link someone else
     * replaced (classroom.js says so and offers to go on without the key).
     */
    this._keyUsed = key;
    this.rotating = false;
    this._ended = null;
    this.onReplaced = () => {};
    this._onState = onState;
    this.net = new Connection(
      () => {
        // Two attempts with a kept key and never a connection: go on as a student.
        if (this.keptKey && this.net.connects === 0 && this.net.attempt >= 2) this.key = '';
        this._keyUsed = this.key;
        // pack=1: the sync's stroke points come as whole-number deltas (packing.js).
        return withOrigin(withPack(withKey(socketUrl(location, roomId, this.name,
          scene.synced ? scene.seq : null), this.key, client)), this.origin);
      },
      (messages, receivedAt) => this.onFrame(messages, receivedAt),
      (state, detail) => {
        if (state !== 'open') this.ready = false;
        if (state === 'replaced' && this._replaced(detail)) return;
        onState(state, detail);
        if (state === 'reconnecting') this._checkKey(detail);
      },
    );
  }

  /**
   * A page opened on a link whose key no longer works (the teacher made new links before it
   * was opened, or it was mistyped) is refused at every upgrade with 403 `bad_key`, which a
   * browser's WebSocket never shows. After two attempts that never connected, ask over HTTP
   * once; a dead key is then the same as a replaced link: stop, say so, offer the way on.
   */
  async _checkKey(detail) {
    if (!this.key || this.keptKey || this._keyChecked || this.net.connects > 0) return;
    if (!detail || detail.attempt < 2) return;
    this._keyChecked = true;
    const key = this.key;
    let dead = false;
    try {
      const res = await fetch(`/api/rooms/${encodeURIComponent(this.roomId)}/role`,
        { headers: { 'X-LANBoard-Key': key }, cache: 'no-store' });
      dead = res.status === 403 && (await res.json()).error === 'bad_key';
    } catch {
      return; // the server is not answering at all: the backoff goes on
    }
    if (!dead || this.key !== key || this.net.connects > 0) return;
    this.net.stop();
    const gone = { reason: 'this link no longer works' };
    this.onReplaced(gone);
    this._onState('replaced', gone);
  }

  /**
   * The server ended the socket because the teacher made new links. True when the page goes
   * on by itself (it has the new key already, or its own rotation's answer will bring it:
   * nothing alarming is shown meanwhile); false for a link someone else replaced.
   */
  _replaced(detail) {
    if (this.key && this.key !== this._keyUsed) {
      this.net.restart(); // since and origin as on any reconnect: it resumes
      return true;
    }
    if (this.rotating) {
      this._ended = detail || {};
      this._onState('connecting');
      return true;
    }
    this.onReplaced(detail);
    return false;
  }

  /** The new teacher key from our own rotation: the socket goes on with it. */
  useKey(key) {
    this.key = key;
    this.keptKey = false;
    if (this._ended) {
      this._ended = null;
      this.net.restart();
    }
  }

  /** Our rotation's request is over; a socket it ended with no new key to go on says so. */
  rotated() {
    this.rotating = false;
    const detail = this._ended;
    if (!detail) return;
    this._ended = null;
    this.onReplaced(detail);
    this._onState('replaced', detail);
  }

  /** After a replaced link: go on in place, resuming, with another key ('': a student). */
  goOnWith(key = '') {
    this.key = key;
    this.keptKey = false;
    this.net.restart();
  }

  connect() {
    this.net.connect();
  }

  /**
   * Goes on under another name, in place: the socket reconnects with the new userId and
   * `since`, so the scene, what is still unconfirmed (sent again as on any resume) and the
   * page's undo history all stay.
   */
  rename(name) {
    this.name = name;
    this.me.userId = name;
    this.net.abandon('rename');
    this.net.reconnectNow();
  }

  /** Sends a message when synced; false when it could not go (the change stays pending). */
  send(msg) {
    return this.ready && this.net.send(msg);
  }

  onFrame(messages, receivedAt) {
    const { scene, stats } = this;
    let caughtUp = false;
    const now = performance.now();
    for (const msg of messages) {
      if (!msg || typeof msg.type !== 'string') continue;
      switch (msg.type) {
        case 'sync':
          if (msg.data) msg.data.elements = unpackElements(msg.data.elements);
          stats.syncParseMs = now - receivedAt;
          scene.applySync(msg.data);
          this.origin = cleanOrigin(msg.data.origin);
          stats.syncApplyMs = performance.now() - now;
          stats.syncAppliedAt = performance.now();
          this._whoAmI(msg.data);
          this._takeRole(msg.data);
          this.users = msg.data.users || this.users;
          stats.syncReceivedAt = receivedAt;
          stats.syncElements = (msg.data.elements || []).length;
          stats.syncToFrameMs = null;
          caughtUp = true;
          break;
        case 'resume':
          scene.applyResume(msg.data);
          this.origin = cleanOrigin(msg.data?.origin);
          this._whoAmI(msg.data);
          this._takeRole(msg.data);
          caughtUp = true;
          break;
        case 'clear':
          scene.applyChange(msg, now);
          this.onRemoteDrag(msg.userId, null);
          this._boardReplaced(msg);
          break;
        case 'settings':
          if (msg.data) {
            this.settings = cleanSettings(msg.data);
            this.onSettings();
          }
          break;
        case 'laser':
          if (msg.data) this.onLaser(msg.userId, msg.data, now);
          break;
        case 'view':
          if (msg.userId !== this.me.userId && msg.data) this.onView(msg.data);
          break;
        case 'draw':
        case 'append':
        case 'erase':
        case 'update':
          scene.applyChange(msg, now);
          this.onRemoteDrag(msg.userId, null); // an update ends its sender's preview
          break;
        case 'order':
          scene.applyChange(msg, now);
          break;
        case 'select':
        case 'transform':
          if (msg.userId !== this.me.userId) {
            scene.applyEphemeral(msg, now);
            this.onRemoteDrag(msg.userId, msg.type === 'transform' ? msg.data : null);
          }
          break;
        case 'cursor':
          if (msg.userId !== this.me.userId && msg.data) {
            this.cursors.set(msg.userId, { x: msg.data.x, y: msg.data.y, color: msg.data.color,
              t: now });
            this._cursorsMoved = true;
          }
          break;
        case 'userlist':
          this.users = msg.data.users || [];
          break;
        case 'leave':
          this.cursors.delete(msg.userId);
          this._cursorsMoved = true;
          this.onRemoteDrag(msg.data?.userId ?? msg.userId, null);
          scene.applyEphemeral(msg, now);
          break;
        case 'ack':
          scene.prunePendingErase();
          break;
        case 'error':
          // The close that follows says it (see _replaced); a page that rotated sees nothing.
          if (msg.data?.code !== 'keys_changed') this.onRefused(msg.data || {});
          break;
        default:
          break; // join, pong and types from newer servers
      }
    }
    if (caughtUp) {
      this.ready = true;
      this.net.healthy();
      this.resendUnconfirmed();
      this.afterCatchUp();
    }
    this.afterChanges();
    this._showNotices();
    this.changed();
  }

  _whoAmI(data) {
    this.me.userId = data.userId ?? this.me.userId;
    this.me.color = data.color ?? this.me.color;
  }

  _takeRole(data) {
    if (!('role' in data) && !('settings' in data)) return;
    this.role = cleanRole(data.role);
    this.settings = cleanSettings(data.settings);
    this.onSettings();
  }

  /** A clear that says who did it (a newer server): a notice, kept in the recent list. */
  _boardReplaced(msg) {
    const by = msg.data && typeof msg.data.by === 'string' ? msg.data.by : '';
    if (!by) return;
    const reason = REPLACED[msg.data.reason] ? msg.data.reason : 'clear';
    const text = `${by} ${REPLACED[reason]}`;
    this.boardNotices.push({ by, reason, text, time: Date.now() });
    if (this.boardNotices.length > MAX_BOARD_NOTICES) this.boardNotices.shift();
    this.notice(text);
  }

  /** Our laser at world (x, y), at most ~30 times a second (the latest position wins). */
  laser(x, y) {
    this._laser.push([x, y]);
  }

  _showNotices() {
    for (const n of this.scene.takeNotices()) this.notice(n.message);
  }

  /**
   * The server refused or dropped a message. The scene converges (drops what the server
   * does not have, puts back what it kept) and says what to tell the person. A rate-limit
   * drop does not say which messages went: once our queue has drained and echoes had time
   * to arrive, whatever is unconfirmed is sent again.
   */
  onRefused(err) {
    const res = this.scene.onRefused(err);
    if (res.notice) this.notice(res.notice);
    if (res.resend) {
      clearTimeout(this._recoverTimer);
      const recover = () => {
        if (this.net.queued) this._recoverTimer = setTimeout(recover, 500);
        else if (this.ready) {
          this.resendUnconfirmed(false);
          this.changed();
        }
      };
      this._recoverTimer = setTimeout(recover, 1500);
    }
  }

  /** Our pointer, at most ~30 times a second (the latest position wins). */
  cursor(x, y) {
    this._cursor.push([x, y]);
  }

  /** Sends again, as full draws and erases, every local change the server has not echoed. */
  resendUnconfirmed(fullSync) {
    // A full draw carries every point so far: buffered appends would add them twice.
    this.onDropped();
    const { scene, net } = this;
    const { draws, erases, updates, orders } = scene.afterCatchUp(fullSync);
    for (const el of draws) scene.markResent('draw', el.id, net.send(drawMsg(el)));
    for (const msg of eraseMsgs(erases)) {
      const sent = net.send(msg);
      for (const id of msg.data.ids) scene.markResent('erase', id, sent);
    }
    // Someone else's element goes back as an update (a draw would make it ours).
    for (const u of updates) {
      const sent = net.send(updateMsg(u.ids, { set: u.set }));
      for (const id of u.ids) scene.markResent('update', id, sent);
    }
    for (const o of orders) {
      const sent = net.send(orderMsg(o.ids, o.to));
      for (const id of o.ids) scene.markResent('order', id, sent);
    }
  }

  /** Whether remote cursors changed since the last call (the overlay repaints only then). */
  takeCursorsMoved() {
    const moved = this._cursorsMoved;
    this._cursorsMoved = false;
    return moved;
  }

  /** Forgets cursors that stopped moving; true when one went. */
  expireCursors(now) {
    let gone = false;
    for (const [id, c] of this.cursors) {
      if (now - c.t > CURSOR_STALE_MS) {
        this.cursors.delete(id);
        gone = true;
      }
    }
    return gone;
  }
}
