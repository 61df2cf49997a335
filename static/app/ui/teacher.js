// The teacher's console (issue 14): lock, what students may do, follow me, bring everyone,
// presenter mode, the laser, each student's view-only switch and removal, new keys, and the
// recent clears, restores and imports. The page only asks: the server checks the teacher key
// on every message. Also the page-wide pieces every role sees: the "View only" badge, the
// "Follow teacher" button and the laser toggle. All names go in as text.

import { confirmAction, toast } from './dialogs.js';

const SWITCHES = ['locked', 'allowReplace', 'allowLaser', 'follow'];

/**
 * @param {object} o
 * @param {object} o.session  role, settings, users, me, boardNotices, send(), rotating,
 *   rotated()
 * @param {object} o.api      boardApi (rotateKeys)
 * @param {(on: boolean) => void} o.presenter  presenter mode on or off
 * @param {() => void} o.bringAll  sends our view to everyone once
 * @param {(on: boolean) => void} o.laser  the laser pointer on or off
 * @param {() => void} o.resumeFollow  the "Follow teacher" button
 * @param {(links: object) => void} o.newLinks  keys were rotated: the page's new links
 */
export function buildTeacher(o) {
  const { session } = o;
  const btn = document.getElementById('teacher-btn');
  const dialog = document.getElementById('teacher-dialog');
  const students = document.getElementById('teacher-students');
  const notices = document.getElementById('teacher-notices');
  const laserBtn = document.getElementById('laser-btn');
  const followBtn = document.getElementById('follow-btn');
  const presenterBox = document.getElementById('teacher-presenter');

  const settingsMsg = (data) => {
    if (!session.send({ type: 'settings', data })) toast('Not connected: try again in a moment.');
  };
  for (const key of SWITCHES) {
    const box = document.getElementById(`teacher-${key}`);
    box.addEventListener('change', () => settingsMsg({ [key]: box.checked }));
  }
  presenterBox.addEventListener('change', () => o.presenter(presenterBox.checked));
  document.getElementById('teacher-bring').addEventListener('click', () => {
    o.bringAll();
    toast('Everyone now sees what you see.');
  });
  document.getElementById('teacher-rotate').addEventListener('click', async () => {
    if (!await confirmAction('Make new links?', 'The old teacher and viewer links stop ' +
      'working, and everyone on the board with one of them is disconnected (this page ' +
      'reconnects by itself). Students on the student link stay.', 'New links')) return;
    // The server ends this page's socket too (it joined with the old key): the session
    // waits for this answer's new key and goes on with it.
    session.rotating = true;
    let res;
    try {
      res = await o.api.rotateKeys();
      if (res.ok) o.newLinks(res.data);
    } finally {
      session.rotated();
    }
    if (!res.ok) toast(`New links failed: ${res.error}`);
    else toast('New links made: share them again.');
  });
  btn.addEventListener('click', () => {
    render();
    dialog.showModal();
  });
  let laserOn = false;
  laserBtn.addEventListener('click', () => {
    laserOn = !laserOn;
    laserBtn.setAttribute('aria-pressed', String(laserOn));
    o.laser(laserOn);
  });
  followBtn.addEventListener('click', () => o.resumeFollow());

  function studentRow(u) {
    const li = document.createElement('li');
    li.className = 'teacher-student';
    li.dataset.user = u.userId;
    const name = document.createElement('span');
    name.className = 'user-name';
    name.textContent = u.userId;
    const only = document.createElement('label');
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.checked = session.settings.viewOnly.includes(u.userId);
    box.addEventListener('change', () => {
      const rest = session.settings.viewOnly.filter((id) => id !== u.userId);
      settingsMsg({ viewOnly: box.checked ? [...rest, u.userId] : rest });
    });
    only.append(box, ' View only');
    const kick = document.createElement('button');
    kick.type = 'button';
    kick.className = 'btn danger';
    kick.textContent = 'Remove';
    kick.addEventListener('click', async () => {
      if (await confirmAction(`Remove ${u.userId}?`, 'They leave the board and cannot come ' +
        'back under this name from that device for 10 minutes.', 'Remove')) {
        session.send({ type: 'kick', data: { userId: u.userId } });
      }
    });
    li.append(name, only, kick);
    return li;
  }

  function render() {
    const s = session.settings;
    for (const key of SWITCHES) document.getElementById(`teacher-${key}`).checked = s[key];
    const others = session.users.filter((u) => u.userId !== session.me.userId);
    students.replaceChildren(...others.map(studentRow));
    document.getElementById('teacher-students-empty').hidden = others.length > 0;
    notices.replaceChildren(...session.boardNotices.slice().reverse().map((n) => {
      const li = document.createElement('li');
      li.textContent = `${new Date(n.time).toLocaleTimeString()} · ${n.text}`;
      return li;
    }));
    document.getElementById('teacher-notices-empty').hidden = session.boardNotices.length > 0;
  }

  return {
    /** Role, settings or presence changed: show what this role may do. */
    show({ teacher, laserAllowed, resume }) {
      btn.hidden = !teacher;
      document.getElementById('teacher-menu-item').hidden = !teacher;
      laserBtn.hidden = !laserAllowed;
      if (!laserAllowed && laserOn) {
        laserOn = false;
        laserBtn.setAttribute('aria-pressed', 'false');
        o.laser(false);
      }
      followBtn.hidden = !resume;
      if (dialog.open) render();
    },
    get laserOn() {
      return laserOn;
    },
  };
}
