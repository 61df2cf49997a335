// Putting pictures and PDFs on the board (issue 15): a pasted image (clipboard.js hands its
// files here), files dropped on the board, and the toolbar's "Insert image" button, whose
// file input lets a phone offer its camera or photo picker. A picture is scaled down here
// (assets.js), uploaded, and placed as one image element centred where it was dropped (or in
// the view), as one `draw` the person can undo. A PDF goes to the server, which renders each
// page as a locked background on pages of its own; the page then turns to the first of them.

import { MAX_PDF_BYTES, prepareImage, uploadAsset, uploadPdf } from './assets.js';

/** A new picture covers at most this share of the view's width or height. */
const VIEW_SHARE = 0.6;
/** The wait for a PDF is said again this often, so the notice never fades while it lasts. */
const WAIT_NOTICE_MS = 4000;

const PDF_ERRORS = {
  bad_pdf: 'That PDF could not be read',
  too_large: 'That PDF is too large',
  server_busy: 'The server is busy with another import or export; try again in a moment',
};

export function isPdf(file) {
  return file.type === 'application/pdf' || /\.pdf$/i.test(file.name || '');
}

export function isImage(file) {
  return typeof file.type === 'string' && file.type.startsWith('image/');
}

/**
 * The box of a new picture of natural size w x h, centred on world point (cx, cy): as many
 * world units as it has pixels on screen at this zoom, shrunk to fit VIEW_SHARE of the view.
 */
export function placeBox(w, h, cx, cy, scale, viewW, viewH) {
  const s = Math.min(1, (VIEW_SHARE * viewW) / w, (VIEW_SHARE * viewH) / h) / scale;
  const width = Math.max(1, Math.round(w * s));
  const height = Math.max(1, Math.round(h * s));
  return { x: Math.round(cx - width / 2), y: Math.round(cy - height / 2), width, height };
}

/**
 * @param {object} o {roomId, auth: {key, user}, controller, view, cache: AssetCache,
 *   pages: Pages, notice(text), readOnly(): bool, turnTo(page), countPages(n)}
 */
export function bindInserts(o) {
  const { roomId, auth, controller, view, cache, pages, notice } = o;

  async function insertImage(file, at) {
    notice('Adding the picture…');
    let ready;
    try {
      ready = await prepareImage(file);
    } catch (err) {
      notice(err.message);
      return false;
    }
    const res = await uploadAsset(roomId, ready.blob, auth);
    if (!res.ok) {
      notice(`Picture not added: ${res.error}.`);
      return false;
    }
    const a = res.data;
    cache.put(a.id, ready.picture);
    const w = window.innerWidth;
    const h = window.innerHeight;
    const [cx, cy] = at || view.toWorld(w / 2, h / 2);
    const element = pages.stamp({ id: controller.newId(), elementType: 'image', asset: a.id,
      ...placeBox(a.width || ready.width, a.height || ready.height, cx, cy, view.scale, w, h) });
    controller.apply([{ op: 'draw', element }]);
    notice('Picture added.');
    return true;
  }

  async function importPdf(file) {
    if (file.size > MAX_PDF_BYTES) {
      notice(`That PDF is too large (at most ${MAX_PDF_BYTES / 1024 / 1024} MB).`);
      return false;
    }
    const started = performance.now();
    const say = () => notice(`Importing the PDF… ${Math.round((performance.now() - started) / 1000)} s`);
    say();
    document.body.dataset.busy = 'pdf';
    const timer = setInterval(say, WAIT_NOTICE_MS);
    let res;
    try {
      res = await uploadPdf(roomId, file, auth);
    } finally {
      clearInterval(timer);
      delete document.body.dataset.busy;
    }
    if (!res.ok) {
      const what = PDF_ERRORS[res.code];
      notice(what ? `${what}: ${res.error}.` : `PDF not imported: ${res.error}.`);
      return false;
    }
    const { first, count } = res.data;
    o.countPages(first + count - 1);
    o.turnTo(first);
    notice(count === 1 ? `The PDF is on page ${first}.`
      : `The PDF is on pages ${first}-${first + count - 1}.`);
    return true;
  }

  /** Files from a paste, a drop or the file input; `at` is the world point of a drop. */
  async function takeFiles(files, at = null) {
    const list = [...files];
    if (!list.length) return false;
    if (o.readOnly()) {
      notice('View only: nothing can be added to the board now.');
      return true;
    }
    let used = false;
    for (const file of list) {
      if (isPdf(file)) used = (await importPdf(file)) || used;
      else if (isImage(file)) used = (await insertImage(file, at)) || used;
      else notice(`${file.name || 'That file'} is neither a picture nor a PDF.`);
    }
    return used;
  }

  // Drag and drop onto the board: only files are taken (a dragged text or link is left alone).
  const hasFiles = (e) => e.dataTransfer && [...e.dataTransfer.types].includes('Files');
  const highlight = (on) => document.body.classList.toggle('drop-target', on);
  document.addEventListener('dragover', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
    highlight(true);
  });
  document.addEventListener('dragleave', (e) => {
    if (!e.relatedTarget) highlight(false); // left the window, not one element for another
  });
  document.addEventListener('drop', (e) => {
    highlight(false);
    if (!hasFiles(e)) return;
    e.preventDefault();
    takeFiles(e.dataTransfer.files, view.toWorld(e.clientX, e.clientY));
  });

  // The toolbar's "Insert image" button and its file input (pictures, and PDFs too).
  const input = document.getElementById('insert-file');
  const btn = document.getElementById('insert-btn');
  if (input && btn) {
    btn.addEventListener('click', () => {
      if (o.readOnly()) {
        notice('View only: nothing can be added to the board now.');
        return;
      }
      input.click();
    });
    input.addEventListener('change', () => {
      const files = [...input.files];
      input.value = ''; // the same file chosen twice is two inserts
      takeFiles(files);
    });
  }

  return { takeFiles, insertImage, importPdf };
}
