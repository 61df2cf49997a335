// The socket: connects, reconnects with backoff, resumes with `since`, and notices a dead link.
// It knows nothing about the board; the page hands it a URL builder and gets whole frames back
// (with v=2 every frame is a JSON array of messages).

const BACKOFF_MS = [300, 1000, 2000, 4000, 8000, 15000];
const PING_EVERY_MS = 15000;
/** No frame for this long (pongs included) means the link is dead even if the socket is open. */
const SILENCE_MS = 40000;

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
    window.addEventListener('online', () => this.reconnectNow());
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
      clearInterval(this.pinger);
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
      this.drop();
      return;
    }
    this.send({ type: 'ping' });
  }

  /** Sends one message; false when there is no open socket (the caller keeps it pending). */
  send(msg) {
    if (!this.open) return false;
    try {
      this.ws.send(JSON.stringify(msg));
      return true;
    } catch {
      return false;
    }
  }

  /** Closes the current socket as a network failure would; reconnection follows. */
  drop() {
    if (this.ws) this.ws.close();
  }

  /** Skips the backoff wait (the browser came back online, or the user asked). */
  reconnectNow() {
    if (this.ws || this.stopped) return;
    this.attempt = 0;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.pinger);
    if (this.ws) this.ws.close(1000);
  }
}
