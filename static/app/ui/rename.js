// "Change my name…": a dialog of its own with Cancel (the join dialog has none: joining needs a
// name). The page renames in place (session.rename), so nothing is reloaded.

import { cleanUserId } from '../protocol.js';

let dialog = null;

function build() {
  dialog = document.createElement('dialog');
  dialog.id = 'rename-dialog';
  dialog.className = 'dialog';
  dialog.setAttribute('aria-labelledby', 'rename-title');
  const form = document.createElement('form');
  form.method = 'dialog';
  const title = document.createElement('h2');
  title.id = 'rename-title';
  title.textContent = 'Change your name';
  const hint = document.createElement('p');
  hint.className = 'muted';
  hint.textContent = 'Others on the board see it next to your cursor. Your drawing and undo stay.';
  const input = document.createElement('input');
  input.id = 'rename-input';
  input.maxLength = 32;
  input.autocomplete = 'nickname';
  input.required = true;
  input.setAttribute('aria-labelledby', 'rename-title');
  const actions = document.createElement('div');
  actions.className = 'actions';
  const cancel = document.createElement('button');
  cancel.className = 'btn';
  cancel.value = 'cancel';
  cancel.type = 'button';
  cancel.id = 'rename-cancel';
  cancel.textContent = 'Cancel';
  cancel.addEventListener('click', () => dialog.close('cancel'));
  const ok = document.createElement('button');
  ok.className = 'btn primary';
  ok.value = 'ok';
  ok.id = 'rename-ok';
  ok.textContent = 'Change name';
  actions.append(cancel, ok);
  form.append(title, hint, input, actions);
  dialog.append(form);
  document.body.append(dialog);
}

/** Resolves with the new cleaned name, or null on Cancel, Escape or an empty name. */
export function askNewName(current = '') {
  if (!dialog) build();
  const input = dialog.querySelector('input');
  input.value = current;
  dialog.returnValue = '';
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      const name = cleanUserId(input.value);
      resolve(dialog.returnValue === 'ok' && name ? name : null);
    }, { once: true });
    dialog.showModal();
    input.select();
  });
}
