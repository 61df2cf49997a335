// The socket: connects, reconnects with backoff, resumes with `since`, and notices a dead link.
// It knows nothing about the board; the page hands it a URL builder and gets whole frames back
// (with v=2 every frame is a JSON array of messages).

const BACKOFF_MS = [300, 1000, 2000, 4000, 8000, 15000];
/**
 * Changes go out at most this many a second, in bursts of at most BURST. The server allows
 * 400 a second per client (lanboard/limits.py RATE_CHANGES); an undo that restores hundreds
 * of erased elements is paced instead of being refused with `rate_limited`.
 */
const RATE = 250;
const BURST = 250;
const PING_EVERY_MS = 4000;
/**
 * No frame for this long (pongs included) means the link is dead even if the socket is open.
 * A browser that lost its Wi-Fi can keep a socket "open" for a minute; two missed pongs are
 * enough to tell, and the `offline` event is faster still.
 */
const SILENCE_MS = 9000;

export class Connection {
  /**
   * @param {() => string} url builds the URL for the next attempt (it carries `since`).
   * @param {(messages: object[], receivedAt: number) => void} onFrame
   * @param {(state: string, detail?: object) => void} onState
   */
  constructor(url, onFrame, onState) {
    this.url = url;
    this.onFrame = onFrame;
    this.onState = onState;
    this.ws = null;
    this.attempt = 0;
    this.timer = null;
    this.pinger = null;
    this.lastFrameAt = 0;
    this.stopped = false;
    this.connects = 0;
    this.queue = [];
    this.tokens = BURST;
    this.refilledAt = performance.now();
    this.drainTimer = null;
    window.addEventListener('online', () => this.reconnectNow());
    // The browser knows before the socket does: without this the page said "Connected" for
    // 35 s and more after the network went.
    window.addEventListener('offline', () => this.abandon('offline'));
    // Back from a sleeping laptop or a background tab: check the link at once.
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') this._keepAlive();
    });
  }

  get open() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  connect() {
    clearTimeout(this.timer);
    this.timer = null;
    if (this.stopped) return;
    this.onState('connecting');
    let ws;
    try {
      ws = new WebSocket(this.url());
    } catch (err) {
      this._retry(String(err));
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.connects += 1;
      this.lastFrameAt = performance.now();
      this.onState('open');
      clearInterval(this.pinger);
      this.pinger = setInterval(() => this._keepAlive(), PING_EVERY_MS);
    };
    ws.onmessage = (ev) => {
      const receivedAt = performance.now();
      this.lastFrameAt = receivedAt;
      let parsed;
      try {
        parsed = JSON.parse(ev.data);
      } catch {
        return;
      }
      this.onFrame(Array.isArray(parsed) ? parsed : [parsed], receivedAt);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.queue = [];
      clearInterval(this.pinger);
      // 4003: the teacher removed this person (issue 14); coming back at once would only be
      // refused, so the page stops and says so.
      if (ev.code === 4003) {
        this.stopped = true;
        this.onState('removed', { reason: ev.reason || 'removed by the teacher' });
        return;
      }
      // 4001: the teacher made new links; this key is dead, so retrying with it is pointless.
      // The page decides (session.js): go on with a new key of its own, or say so.
      if (ev.code === 4001) {
        this.stopped = true;
        this.onState('replaced', { reason: ev.reason });
        return;
      }
      this._retry(ev.code === 4008 ? 'too slow' : `closed (${ev.code})`);
    };
    ws.onerror = () => {
      // onclose follows with the details; nothing else to do here.
    };
  }

  /** The board has synced: the next drop starts the backoff from the shortest delay. */
  healthy() {
    this.attempt = 0;
  }

  _retry(reason) {
    if (this.stopped) return;
    const base = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    this.attempt += 1;
    this.onState('reconnecting', { delay, reason, attempt: this.attempt });
    this.timer = setTimeout(() => this.connect(), delay);
  }

  _keepAlive() {
    if (!this.open) return;
    if (performance.now() - this.lastFrameAt > SILENCE_MS) {
      this.abandon('no answer');
      return;
    }
    this.send({ type: 'ping' });
  }

  /**
   * Sends one message, or queues it behind earlier ones when over the rate; false when there
   * is no open socket (the caller keeps the change pending). A queued message lost to a drop
   * is re-sent by the page after the resume, like any unconfirmed change.
   */
  send(msg) {
    if (!this.open) return false;
    if (msg.type === 'cursor' || msg.type === 'ping') return this._write(msg);
    this._refill();
    if (this.queue.length || this.tokens < 1) {
      this.queue.push(msg);
      this._scheduleDrain();
      return true;
    }
    this.tokens -= 1;
    return this._write(msg);
  }

  _write(msg) {
    try {
      this.ws.send(JSON.stringify(msg));
      return true;
    } catch {
      return false;
    }
  }

  _refill() {
    const now = performance.now();
    this.tokens = Math.min(BURST, this.tokens + ((now - this.refilledAt) * RATE) / 1000);
    this.refilledAt = now;
  }

  _scheduleDrain() {
    if (this.drainTimer) return;
    this.drainTimer = setTimeout(() => {
      this.drainTimer = null;
      if (!this.open) {
        this.queue = [];
        return;
      }
      this._refill();
      while (this.queue.length && this.tokens >= 1) {
        this.tokens -= 1;
        this._write(this.queue.shift());
      }
      if (this.queue.length) this._scheduleDrain();
    }, 20);
  }

  /** Messages waiting for the rate limit. */
  get queued() {
    return this.queue.length;
  }

  /** Closes the current socket as a network failure would; reconnection follows. */
  drop() {
    if (this.ws) this.ws.close();
  }

  /**
   * Gives the socket up now, without waiting for a closing handshake that a dead link never
   * completes, and schedules the next attempt.
   */
  abandon(reason) {
    const ws = this.ws;
    if (!ws || this.stopped) return;
    this.ws = null;
    ws.onclose = null;
    ws.onmessage = null;
    try {
      ws.close();
    } catch {
      // already closing
    }
    this.queue = [];
    clearInterval(this.pinger);
    this._retry(reason);
  }

  /** Skips the backoff wait (the browser came back online, or the user asked). */
  reconnectNow() {
    if (this.ws || this.stopped) return;
    this.attempt = 0;
    this.connect();
  }

  /** Starts again after a stop the page got past (a new key after 'replaced'). */
  restart() {
    this.stopped = false;
    this.attempt = 0;
    if (!this.ws) this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.pinger);
    if (this.ws) this.ws.close(1000);
  }
}
