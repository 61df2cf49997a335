// The keyboard shortcuts sheet (`?`, or the menu): a dialog listing the rows of keyboard.js's
// SHORTCUTS table, which is also what the keys do, so the sheet cannot drift from them. Built
// once, on first opening; always text, never HTML.

const IS_MAC = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform || '');
const NAMES = {
  mod: IS_MAC ? '⌘' : 'Ctrl', shift: 'Shift', arrowleft: '←', arrowright: '→', arrowup: '↑',
  arrowdown: '↓', escape: 'Esc', delete: 'Delete', backspace: 'Backspace', space: 'Space',
  pageup: 'Page Up', pagedown: 'Page Down',
};

/** 'mod+shift+z' -> {mods: ['Ctrl', 'Shift'], main: ['Z']}, as the sheet shows it. */
export function keyParts(key) {
  const parts = key === '+' ? ['+'] : key.split('+'); // '+' alone is the key itself
  const shown = parts.map((p) => NAMES[p] || (p.length === 1 ? p.toUpperCase() : p));
  return { mods: shown.slice(0, -1), main: shown.slice(-1) };
}

/** The sheet's groups in table order: [[group, [{keys: [{mods, main}…], label}…]]…]. */
export function helpGroups(shortcuts) {
  const groups = new Map();
  for (const row of shortcuts) {
    if (!groups.has(row.group)) groups.set(row.group, []);
    let keys = row.keys.map(keyParts);
    // The four arrows are one entry: "← → ↑ ↓", with their modifiers once.
    if (row.keys.length === 4 && row.keys.every((k) => k.includes('arrow'))) {
      keys = [{ mods: keys[0].mods, main: keys.flatMap((k) => k.main) }];
    }
    groups.get(row.group).push({ keys, label: row.label });
  }
  return [...groups];
}

function kbd(text) {
  const k = document.createElement('kbd');
  k.textContent = text;
  return k;
}

function build(dialog, shortcuts) {
  const box = dialog.querySelector('#help-list');
  box.replaceChildren();
  for (const [group, rows] of helpGroups(shortcuts)) {
    const section = document.createElement('section');
    const h = document.createElement('h3');
    h.textContent = group;
    const dl = document.createElement('dl');
    for (const row of rows) {
      const dt = document.createElement('dt');
      row.keys.forEach(({ mods, main }, i) => {
        if (i) dt.append(' or ');
        for (const m of mods) dt.append(kbd(m), '+');
        main.forEach((k, j) => dt.append(...(j ? [' ', kbd(k)] : [kbd(k)])));
      });
      const dd = document.createElement('dd');
      dd.textContent = row.label;
      dl.append(dt, dd);
    }
    section.append(h, dl);
    box.append(section);
  }
}

let built = false;

/** Opens the sheet with these rows (keyboard.js SHORTCUTS). */
export function openHelp(shortcuts) {
  const dialog = document.getElementById('help-dialog');
  if (!dialog || dialog.open) return;
  if (!built) {
    build(dialog, shortcuts);
    built = true;
  }
  dialog.showModal();
}
