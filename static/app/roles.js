// What this page may do under its role and the board's settings (issue 14). The server decides
// and refuses; the page only reflects the same rules so its tools are off before a refusal.
// Pure: no DOM, so node tests pin it.

/** The settings a board has before any teacher changed them. */
export const DEFAULT_SETTINGS = Object.freeze({
  locked: false, allowReplace: false, allowLaser: false, follow: false, viewOnly: [], pages: 1,
});

/** A settings object from the wire, with every field present and of the right type. */
export function cleanSettings(s) {
  const src = s && typeof s === 'object' ? s : {};
  return {
    locked: src.locked === true,
    allowReplace: src.allowReplace === true,
    allowLaser: src.allowLaser === true,
    follow: src.follow === true,
    // Issue 15: the pages the teacher added or a PDF import made (the board may use more).
    pages: Number.isInteger(src.pages) && src.pages >= 1 ? src.pages : 1,
    viewOnly: Array.isArray(src.viewOnly) ? src.viewOnly.filter((u) => typeof u === 'string') : [],
  };
}

/** A role from the wire; a seed server sends none, and everyone there is a student. */
export function cleanRole(r) {
  return r === 'teacher' || r === 'viewer' ? r : 'student';
}

/** Whether stored changes (draw, erase, update, order, clear) may go from this page. */
export function canChange(role, settings, userId) {
  if (role === 'teacher') return true;
  if (role === 'viewer') return false;
  if (settings.locked) return false;
  return !settings.viewOnly.includes(userId);
}

/** Whether this page may send laser points. */
export function canLaser(role, settings) {
  if (role === 'teacher') return true;
  return role === 'student' && settings.allowLaser;
}

/** Why the page is view only ('' when it is not), for the badge's title. */
export function viewOnlyReason(role, settings, userId) {
  if (canChange(role, settings, userId)) return '';
  if (role === 'viewer') return 'This is a viewer link: it shows the board without changing it.';
  if (settings.locked) return 'The teacher has locked the board.';
  return 'The teacher has made you view only.';
}
