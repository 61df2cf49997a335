// The landing page's board logic, apart from the page so node tests it: display names, the
// id a name makes, which existing board a typed code means, and suggestions as you type.
// Pure module: no DOM.

/** Longest display name, after cleaning (lanboard/boardnames.py MAX_BOARD_NAME_CHARS). */
export const MAX_BOARD_NAME_CHARS = 80;
/** Longest board id (lanboard/limits.py ROOM_ID_PATTERN). */
const MAX_ID_CHARS = 64;

// The characters a userId loses: control, bidi overrides and zero-width ones.
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

/** A display name as the server stores it (boardnames.clean_board_name). */
export function cleanBoardName(raw) {
  return String(raw ?? '').replace(/\s+/g, ' ').replace(INVISIBLE, '').trim()
    .slice(0, MAX_BOARD_NAME_CHARS).trim();
}

/**
 * The id a name makes: letters and digits kept (accents dropped), every other run of
 * characters one '-'. "Math 7B – Fractions" -> "Math-7B-Fractions". "" when nothing is left.
 */
export function boardSlug(name) {
  const plain = cleanBoardName(name).normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
  return plain.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/-{2,}/g, '-').replace(/^-+|-+$/g, '')
    .slice(0, MAX_ID_CHARS).replace(/-+$/, '');
}

/** An id not among `taken` (a Set): `id`, else `id-2`, `id-3`... */
export function freeId(id, taken) {
  if (!taken.has(id)) return id;
  for (let n = 2; ; n += 1) {
    const tail = `-${n}`;
    const next = `${id.slice(0, MAX_ID_CHARS - tail.length)}${tail}`;
    if (!taken.has(next)) return next;
  }
}

const fold = (s) => String(s || '').toLowerCase();

/**
 * The existing board a typed code or name means, or null: its exact id, then the same id or
 * display name in any case, then the id its name makes.
 */
export function findBoard(rooms, typed) {
  const t = String(typed || '').trim();
  if (!t) return null;
  const exact = rooms.find((r) => r.id === t);
  if (exact) return exact;
  const f = fold(t);
  const named = rooms.find((r) => fold(r.id) === f || (r.name && fold(cleanBoardName(r.name)) === fold(cleanBoardName(t))));
  if (named) return named;
  const slug = boardSlug(t);
  return slug ? rooms.find((r) => fold(r.id) === fold(slug)) || null : null;
}

/** Up to `most` boards whose id or name holds what is typed, those starting with it first. */
export function suggest(rooms, typed, most = 6) {
  const f = fold(String(typed || '').trim());
  if (!f) return [];
  const scored = [];
  rooms.forEach((r, i) => {
    const texts = [fold(r.id), fold(r.name)];
    if (texts.some((s) => s.startsWith(f))) scored.push([0, i, r]);
    else if (texts.some((s) => s.includes(f))) scored.push([1, i, r]);
  });
  scored.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return scored.slice(0, most).map(([, , r]) => r);
}
