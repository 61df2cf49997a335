// Polite announcements of other people's changes for screen readers ("Ana added a
// rectangle"), in the page's aria-live region #announce (visually hidden). Fed from the
// scene's incoming changes; at most one announcement every INTERVAL_MS: what comes in between
// is summed up in the next one ("Ana made 4 changes", "Ana and Bo made 6 changes"). This page's
// own changes, stroke growth (append) and clears (a notice says those) are not announced.

import { TOOL_INFO } from '../tools/index.js';

export const INTERVAL_MS = 5000;

/** "a rectangle", "an arrow": a tool's label when the tool is named as the element type. */
function noun(type) {
  const info = TOOL_INFO.find((i) => i.name === type);
  if (!info) return 'a drawing';
  const word = info.label.toLowerCase();
  return `${/^[aeiou]/.test(word) ? 'an' : 'a'} ${word}`;
}

const things = (n) => (n === 1 ? 'an item' : `${n} items`);

/** What a change from someone else says, or '' for one not worth saying. */
export function describe(msg, existed) {
  const data = msg.data || {};
  const who = msg.userId;
  if (typeof who !== 'string' || !who) return '';
  const ids = Array.isArray(data.ids) ? data.ids.length : 0;
  switch (msg.type) {
    case 'draw':
      return existed ? `${who} changed ${noun(data.elementType)}`
        : `${who} added ${noun(data.elementType)}`;
    case 'erase':
      return ids ? `${who} erased ${things(ids)}` : '';
    case 'update':
      if (!ids) return '';
      if (data.move) return `${who} moved ${things(ids)}`;
      if (data.scale) return `${who} resized ${things(ids)}`;
      return `${who} changed ${things(ids)}`;
    case 'order':
      return `${who} changed the order of ${things(ids || 1)}`;
    default:
      return '';
  }
}

/** One sentence for what came in during a pause: [{who, text}…] -> text. */
export function summary(events) {
  if (events.length === 1) return events[0].text;
  const people = [...new Set(events.map((e) => e.who))];
  const n = events.length;
  if (people.length === 1) return `${people[0]} made ${n} changes`;
  if (people.length === 2) return `${people[0]} and ${people[1]} made ${n} changes`;
  return `${people.length} people made ${n} changes`;
}

/**
 * Watches scene.applyChange (the one way server changes enter the page's scene) and speaks
 * through `region` (the #announce element). Returns {said}: what was announced, newest last.
 */
export function announceChanges(scene, region = document.getElementById('announce'),
  clock = () => performance.now(), interval = INTERVAL_MS) {
  const said = [];
  let waiting = [];
  let last = -Infinity;
  let timer = null;

  function speak() {
    timer = null;
    if (!waiting.length) return;
    const text = summary(waiting);
    waiting = [];
    last = clock();
    said.push(text);
    if (said.length > 50) said.shift();
    if (!region) return;
    // Emptied first, so the same sentence twice is read twice.
    region.textContent = '';
    setTimeout(() => { region.textContent = text; }, 30);
  }

  const apply = scene.applyChange.bind(scene);
  scene.applyChange = (msg, now) => {
    const id = msg && msg.data && msg.data.id;
    const existed = typeof id === 'string' && scene.confirmed.has(id);
    const applied = apply(msg, now);
    if (!applied || !msg || msg.userId === scene.userId) return applied;
    const text = describe(msg, existed);
    if (text) {
      waiting.push({ who: msg.userId, text });
      if (!timer) timer = setTimeout(speak, Math.max(0, last + interval - clock()));
    }
    return applied;
  };
  return { said };
}
