// The page's one classic script, run before the modules: when the module graph cannot be
// fetched (a phone that changes network mid-load gets net::ERR_NETWORK_CHANGED for the
// requests in flight, and a flaky access point drops some), the module script fires `error`
// and nothing of the board starts. Without this the student sees a bare page that never
// connects. It reloads once by itself, and after that says so and offers Reload.
(function () {
  'use strict';
  var KEY = 'lanboard-boot-retry';
  var AGAIN_WITHIN_MS = 30000;
  var shown = false;

  function banner(text, offerReload) {
    var box = document.getElementById('boot-failed');
    if (!box) {
      box = document.createElement('div');
      box.id = 'boot-failed';
      box.className = 'boot-failed';
      box.setAttribute('role', 'alert');
      document.body.appendChild(box);
    }
    box.textContent = text;
    if (offerReload) {
      var btn = document.createElement('button');
      btn.type = 'button';
      btn.className = 'btn primary';
      btn.textContent = 'Reload';
      btn.addEventListener('click', function () { location.reload(); });
      box.appendChild(document.createTextNode(' '));
      box.appendChild(btn);
      btn.focus();
    }
  }

  function failed() {
    if (shown) return;
    shown = true;
    var last = 0;
    try { last = Number(sessionStorage.getItem(KEY)) || 0; } catch (e) { /* private mode */ }
    var now = Date.now();
    if (now - last > AGAIN_WITHIN_MS) {
      try { sessionStorage.setItem(KEY, String(now)); } catch (e) { /* reload anyway */ }
      banner('The page did not load completely. Trying again…', false);
      setTimeout(function () { location.reload(); }, 1500);
    } else {
      banner('The page did not load completely: the network may have dropped.', true);
    }
  }

  // A script element's `error` does not bubble: listen in the capture phase.
  document.addEventListener('error', function (event) {
    var el = event.target;
    if (el && el.tagName === 'SCRIPT' && el.type === 'module') {
      if (document.body) failed();
      else document.addEventListener('DOMContentLoaded', failed);
    }
  }, true);
  window.__lanboardBootFailed = function () { return shown; };
}());
