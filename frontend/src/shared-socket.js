// The page's one Socket.IO connection, opened by realtime.js for signed-in visitors and shared
// by the pages that need live updates (a second connection would double presence and rooms).

// Calls `ready(socket)` once realtime.js has opened it; `ready(null)` when it does not (signed
// out). realtime.js starts before these modules when the bundle runs after parsing; otherwise
// it starts on DOMContentLoaded, and so do we, after it.
export function withSharedSocket(ready) {
  if (window.sparkleRealtime || document.readyState !== "loading") {
    ready(window.sparkleRealtime || null);
    return;
  }
  document.addEventListener("DOMContentLoaded", () => ready(window.sparkleRealtime || null), { once: true });
}
