// The header bell: its badge is `[data-unread-count]`, refreshed by HTMX (on load, every 60 s)
// and set directly by `sparkle:unread-count` events, which notification pages send in
// HX-Trigger headers and the realtime layer may dispatch on document.body.

function setUnreadCount(count) {
  const n = Math.max(0, Number(count) || 0);
  for (const badge of document.querySelectorAll("[data-unread-count]")) {
    badge.dataset.unreadCount = String(n);
    badge.textContent = n < 100 ? String(n) : "99+";
    badge.classList.toggle("is-empty", n === 0);
    const label = badge.nextElementSibling;
    if (label && label.classList.contains("visually-hidden")) {
      label.textContent = `${n} unread notification${n === 1 ? "" : "s"}`;
    }
  }
}

document.body.addEventListener("sparkle:unread-count", (event) => {
  const detail = event.detail;
  setUnreadCount(typeof detail === "object" && detail !== null ? detail.value ?? detail.count : detail);
});

window.sparkleNotifications = { setUnreadCount };
