// The board page's HTTP calls to its own server (exports, import, versions, the lesson's
// change log). Each answers {ok, data|blob, error} and never
// throws, so the menu can show one short message for any failure. Writes go as JSON: the
// server takes writes only as JSON from its own pages (a cross-site guard).

async function errorMessage(res) {
  try {
    const body = await res.json();
    return body.message || body.error || `HTTP ${res.status}`;
  } catch {
    return `HTTP ${res.status}`;
  }
}

async function call(url, options, read) {
  let res;
  try {
    res = await fetch(url, options);
  } catch {
    return { ok: false, error: 'no connection' };
  }
  if (!res.ok) return { ok: false, status: res.status, error: await errorMessage(res) };
  try {
    return { ok: true, ...(await read(res)) };
  } catch (err) {
    return { ok: false, error: String(err) };
  }
}

const json = async (res) => ({ data: await res.json() });
const blob = async (res) => ({ blob: await res.blob() });

/**
 * The headers of a write: JSON, and (issue 14) the page's key, which proves the teacher role,
 * and the person's name, which the server puts in the notice of a restore or import.
 */
export function writeHeaders(auth = {}) {
  const headers = { 'Content-Type': 'application/json' };
  if (auth.key) headers['X-LANBoard-Key'] = auth.key;
  const user = typeof auth.user === 'function' ? auth.user() : auth.user;
  // Header values are Latin-1 only: the name goes percent-encoded UTF-8 (the server decodes).
  if (user) headers['X-LANBoard-User'] = encodeURIComponent(user);
  return headers;
}

/** An export's page (issue 15): `&page=N` or `&page=all`, nothing for null. */
function pageQuery(page) {
  return page === null || page === undefined ? '' : `&page=${encodeURIComponent(page)}`;
}

/** @param {{key?: string, user?: string | (() => string)}} auth for writes (issue 14) */
export function boardApi(roomId, auth = {}) {
  const base = `/api/rooms/${encodeURIComponent(roomId)}`;
  const post = (body) => ({ method: 'POST', headers: writeHeaders(auth), body });
  return {
    /** Issue 14: new teacher, student and viewer keys; answers the new links. */
    rotateKeys: () => call(`${base}/keys/rotate`, post('{}'), json),
    exportJson: () => call(`${base}/export?format=json`, undefined, blob),
    /** The one SVG exporter is the server's: the same file for every client. */
    /** Issue 15: `page` a page number or 'all' (null: the server's default). */
    exportSvg: (page = null) => call(`${base}/export?format=svg${pageQuery(page)}`, undefined,
      blob),
    importBoard: (text) => call(`${base}/import`, post(text), json),
    versions: () => call(`${base}/versions`, undefined, json),
    restore: (versionId) => call(`${base}/versions/${encodeURIComponent(versionId)}/restore`,
      post('{}'), json),
    /**
     * Stored changes after seq `after` (null: from the oldest kept), oldest first, as peers
     * received them: {oldest, seq, changes}.
     */
    changes: (after = null) => call(`${base}/changes${after === null ? '' : `?after=${after}`}`,
      undefined, json),
    /** The board file as it was right after change `seq`. */
    boardAt: (seq) => call(`${base}/export?format=json&seq=${seq}`, undefined, json),
    /** Makes the board what it was right after change `seq` (an ordinary restore). */
    restoreAt: (seq) => call(`${base}/versions/at/${seq}/restore`, post('{}'), json),
    /** The PDF handout's address (A4 or Letter), for a download link or a QR code. */
    pdfUrl: (paper = 'a4') => `${base}/export?format=pdf&paper=${paper}`,
    exportPdf: (paper = 'a4', page = null) => call(
      `${base}/export?format=pdf&paper=${paper}${pageQuery(page)}`, undefined,
      blob),
  };
}
