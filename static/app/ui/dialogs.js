// Small page helpers: a toast, a confirmation, and the one-time name prompt.

import { cleanUserId } from '../protocol.js';

const NAME_KEY = 'lanboard.name';
let toastTimer = null;

export function toast(message, ms = 4000) {
  const el = document.getElementById('toast');
  el.textContent = message; // always text, never HTML
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, ms);
}

export function storedName() {
  try {
    return cleanUserId(localStorage.getItem(NAME_KEY) || '');
  } catch {
    return ''; // storage blocked: ask each time
  }
}

export function storeName(name) {
  try {
    localStorage.setItem(NAME_KEY, name);
  } catch {
    // private mode or blocked storage: the name lasts for this page only
  }
}

/** Asks for a display name in a dialog; resolves with a cleaned, non-empty name. */
export function askName(current = '') {
  const dialog = document.getElementById('name-dialog');
  const input = document.getElementById('name-input');
  input.value = current;
  return new Promise((resolve) => {
    const done = () => {
      const name = cleanUserId(input.value);
      if (!name) {
        dialog.showModal();
        return;
      }
      dialog.removeEventListener('close', done);
      storeName(name);
      resolve(name);
    };
    dialog.addEventListener('close', done);
    dialog.showModal();
    input.focus();
  });
}

/** Resolves true when the user confirms in the confirmation dialog. */
export function confirmAction(title, text, okLabel) {
  const dialog = document.getElementById('confirm-dialog');
  document.getElementById('confirm-title').textContent = title;
  document.getElementById('confirm-text').textContent = text;
  document.getElementById('confirm-ok').textContent = okLabel;
  dialog.returnValue = '';
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
    dialog.showModal();
  });
}
