// Copy, cut and paste of elements through the DOM clipboard events. `event.clipboardData`
// works over plain HTTP (`navigator.clipboard` needs a secure context), across boards and
// across tabs. The payload is JSON under our own type, with a text/plain copy of it so a
// browser that drops custom types still pastes; anything pasted is checked element by
// element (controller.paste) before it is sent.

export const CLIPBOARD_TYPE = 'application/x-lanboard+json';
const MARK = 'lanboard-elements';

export function encodePayload(elements) {
  return JSON.stringify({ [MARK]: 1, elements });
}

/** The elements in a pasted text, or null when it is not ours. */
export function decodePayload(text) {
  if (!text || text[0] !== '{') return null;
  try {
    const data = JSON.parse(text);
    return data && data[MARK] === 1 && Array.isArray(data.elements) ? data.elements : null;
  } catch {
    return null;
  }
}

function editing(target) {
  return target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement ||
    (target instanceof HTMLElement && target.isContentEditable);
}

/** Image files on a clipboard (a screenshot, a copied picture), as File objects. */
export function pastedImages(data) {
  const out = [];
  for (const item of data.items ? [...data.items] : []) {
    if (item.kind !== 'file' || !item.type.startsWith('image/')) continue;
    const f = item.getAsFile();
    if (f) out.push(f);
  }
  if (!out.length && data.files) {
    for (const f of data.files) if (f.type.startsWith('image/')) out.push(f);
  }
  return out;
}

/**
 * @param {object} controller  @param {(text: string) => void} notice
 * @param {(files: File[]) => void} [takeFiles] pasted pictures (issue 15: drop.js uploads them)
 */
export function bindClipboard(controller, notice, takeFiles = null) {
  function copy(e, cut) {
    if (editing(e.target) || !controller.selection.size || !e.clipboardData) return;
    const text = encodePayload(controller.selectedElements());
    e.clipboardData.setData(CLIPBOARD_TYPE, text);
    e.clipboardData.setData('text/plain', text);
    e.preventDefault();
    if (cut) controller.deleteSelection();
  }
  document.addEventListener('copy', (e) => copy(e, false));
  document.addEventListener('cut', (e) => copy(e, true));
  document.addEventListener('paste', (e) => {
    if (editing(e.target) || !e.clipboardData) return;
    const elements = decodePayload(e.clipboardData.getData(CLIPBOARD_TYPE)) ||
      decodePayload(e.clipboardData.getData('text/plain'));
    if (!elements) {
      // Issue 15: a picture on the clipboard becomes an image element.
      const images = takeFiles ? pastedImages(e.clipboardData) : [];
      if (!images.length) return;
      e.preventDefault();
      takeFiles(images);
      return;
    }
    e.preventDefault();
    if (!controller.paste(elements)) notice('Nothing on the clipboard could be pasted here.');
  });
}
