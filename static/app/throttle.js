// One rate limit for what a page streams while the pointer moves (its cursor, the laser, a
// live drag's preview, a followed teacher's view): at most one send per `everyMs`, and the
// latest value wins. The last value always goes out, a moment late, so the others see where
// the pointer stopped and not where it was one interval before.

export class Throttle {
  /**
   * @param {number} everyMs the shortest time between two sends
   * @param {(value: any) => void} send
   * @param {() => number} now a clock in ms (tests pass their own)
   */
  constructor(everyMs, send, now = () => performance.now()) {
    this.everyMs = everyMs;
    this.send = send;
    this.now = now;
    this.sentAt = -Infinity;
    this.timer = null;
    this.pending = false;
    this.value = undefined;
  }

  /** `value` goes now, or when the interval since the last send is over. */
  push(value) {
    this.value = value;
    this.pending = true;
    const wait = this.everyMs - (this.now() - this.sentAt);
    if (wait <= 0) this._fire();
    else if (this.timer === null) {
      this.timer = setTimeout(() => {
        this.timer = null;
        if (this.pending) this._fire();
      }, wait);
    }
  }

  /** `value` goes now, whatever the interval, in place of any value still waiting. */
  sendNow(value) {
    this.cancel();
    this.value = value;
    this._fire();
  }

  /** Forgets a value still waiting (the stream ended by other means). */
  cancel() {
    clearTimeout(this.timer);
    this.timer = null;
    this.pending = false;
  }

  _fire() {
    this.sentAt = this.now();
    this.pending = false;
    this.send(this.value);
  }
}
