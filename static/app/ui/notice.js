// A short status line for what the person should know but need not act on: a refused change
// put back, a stroke someone else removed, a paste that did not fit. It is an aria-live
// status (read out by screen readers without taking focus), shown for a few seconds.

const SHOW_MS = 5000;

export function buildNotice() {
  const box = document.getElementById('notice');
  let timer = null;
  return (text) => {
    if (!text) return;
    // The region stays in the page (a hidden one is not read out); only its look changes.
    box.textContent = text;
    box.classList.add('shown');
    clearTimeout(timer);
    timer = setTimeout(() => box.classList.remove('shown'), SHOW_MS);
  };
}
