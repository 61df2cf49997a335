// Who is here: colored initials (black or white letters, whichever contrasts more with the
// person's color), a count, and a list with names (always as text). The button's accessible
// name says how many people are online ("3 people online"), not just the number: the count
// and a visually hidden "people online" after it.

import { textOn } from '../theme.js';

function initial(u) {
  const a = document.createElement('span');
  a.className = 'avatar';
  a.style.setProperty('--c', u.color);
  a.style.setProperty('--fg', textOn(u.color));
  a.textContent = (u.userId.trim()[0] || '?').toUpperCase();
  return a;
}

export function buildPresence() {
  const btn = document.getElementById('presence-btn');
  const list = document.getElementById('presence-list');
  const avatars = document.getElementById('presence-avatars');
  const count = document.getElementById('presence-count');
  const label = document.getElementById('presence-label');
  btn.addEventListener('click', () => {
    list.hidden = !list.hidden;
    btn.setAttribute('aria-expanded', String(!list.hidden));
  });
  document.addEventListener('pointerdown', (e) => {
    if (!list.hidden && !list.contains(e.target) && !btn.contains(e.target)) {
      list.hidden = true;
      btn.setAttribute('aria-expanded', 'false');
    }
  });
  // Escape closes the list, focus back on its button.
  document.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape' || list.hidden) return;
    list.hidden = true;
    btn.setAttribute('aria-expanded', 'false');
    if (list.contains(document.activeElement) || document.activeElement === btn) btn.focus();
  });

  return {
    show(users, me) {
      count.textContent = String(users.length);
      const people = `${users.length} ${users.length === 1 ? 'person' : 'people'}`;
      btn.title = `${people} on this board`;
      // Named by its text: the visible count, then (for screen readers) "people online".
      label.textContent = users.length === 1 ? ' person online' : ' people online';
      avatars.replaceChildren();
      list.replaceChildren();
      for (const u of users.slice(0, 4)) {
        const a = initial(u);
        if (u.role === 'teacher') a.classList.add('teacher');
        avatars.append(a);
      }
      for (const u of users) {
        const li = document.createElement('li');
        li.className = 'user';
        li.dataset.user = u.userId;
        const dot = initial(u);
        dot.setAttribute('aria-hidden', 'true');
        const name = document.createElement('span');
        name.className = 'user-name';
        name.textContent = u.userId;
        li.append(dot, name);
        // Issue 14: the teacher is marked, and a viewer (a projector) too.
        if (u.role === 'teacher' || u.role === 'viewer') {
          const role = document.createElement('span');
          role.className = `role role-${u.role}`;
          role.textContent = u.role === 'teacher' ? 'Teacher' : 'Viewer';
          li.append(role);
        }
        if (u.userId === me) {
          const you = document.createElement('span');
          you.className = 'you';
          you.textContent = '(you)';
          li.append(you);
        }
        list.append(li);
      }
    },
  };
}
