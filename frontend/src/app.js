// Browser behaviour of the server-rendered pages: HTMX with the CSRF header, the theme toggle,
// self-dismissing flash messages and copy-to-clipboard. Pages work without it; it only adds.
import htmx from "htmx.org";
import "./notifications.js";
import "./realtime.js";
import "./messaging.js";
import "./watchparty.js";
import "./media.js";

window.htmx = htmx;

// The CSP forbids eval, so HTMX must not try it; form errors come back as 400 with the form
// re-rendered, which HTMX should swap in like a success.
htmx.config.allowEval = false;
htmx.config.allowScriptTags = false;
htmx.config.responseHandling = [
  { code: "204", swap: false },
  { code: "[23]..", swap: true },
  { code: "400", swap: true, error: false },
  { code: "[45]..", swap: false, error: true },
  { code: "...", swap: false },
];

const THEMES = ["system", "light", "dark"];
const THEME_LABELS = { system: "System theme", light: "Light theme", dark: "Dark theme" };
const LOCAL_THEME_KEY = "sparkle-theme";
const FLASH_MS = 6000;

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

function signedIn() {
  return document.body.dataset.signedIn === "true";
}

function applyTheme(theme) {
  document.documentElement.dataset.theme = THEMES.includes(theme) ? theme : "system";
  for (const button of document.querySelectorAll("[data-theme-toggle]")) {
    const current = document.documentElement.dataset.theme;
    button.setAttribute("aria-label", `${THEME_LABELS[current]} (change)`);
    button.dataset.current = current;
  }
}

async function cycleTheme() {
  const current = document.documentElement.dataset.theme || "system";
  const next = THEMES[(THEMES.indexOf(current) + 1) % THEMES.length];
  applyTheme(next);
  if (!signedIn()) {
    localStorage.setItem(LOCAL_THEME_KEY, next);
    return;
  }
  // A signed-in user's theme lives in their profile, so it follows them across devices.
  await fetch("/settings/theme", {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": csrfToken() },
    body: new URLSearchParams({ theme: next }),
    credentials: "same-origin",
  });
}

function showFlash(message, kind = "error") {
  const region = document.getElementById("flash-region");
  if (!region) return;
  const item = document.createElement("div");
  item.className = `flash flash-${kind}`;
  item.setAttribute("role", kind === "error" ? "alert" : "status");
  item.dataset.flash = "";
  const text = document.createElement("p");
  text.textContent = message;
  const close = document.createElement("button");
  close.type = "button";
  close.className = "flash-close";
  close.dataset.dismiss = "";
  close.setAttribute("aria-label", "Dismiss");
  close.textContent = "\u00d7";
  item.append(text, close);
  region.append(item);
  armFlash(item);
}

function dismiss(el) {
  el.classList.add("is-leaving");
  setTimeout(() => el.remove(), 250);
}

function armFlash(el) {
  if (el.dataset.armed) return;
  el.dataset.armed = "true";
  // Errors stay until dismissed: they may need reading twice.
  if (el.classList.contains("flash-error")) return;
  let timer = setTimeout(() => dismiss(el), FLASH_MS);
  const pause = () => clearTimeout(timer);
  const resume = () => {
    clearTimeout(timer);
    timer = setTimeout(() => dismiss(el), FLASH_MS);
  };
  el.addEventListener("mouseenter", pause);
  el.addEventListener("focusin", pause);
  el.addEventListener("mouseleave", resume);
  el.addEventListener("focusout", resume);
}

async function copyFrom(button) {
  const target = document.querySelector(button.dataset.copyTarget);
  if (!target) return;
  const text = target.innerText.trim();
  const label = button.textContent;
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = "Copied!";
  } catch {
    // Clipboard access can be refused (no secure context); select the text instead.
    const range = document.createRange();
    range.selectNodeContents(target);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    button.textContent = "Selected: press Ctrl+C";
  }
  setTimeout(() => (button.textContent = label), 2000);
}

function init(root) {
  for (const el of root.querySelectorAll("[data-flash]")) armFlash(el);
}

document.addEventListener("click", (event) => {
  const target = event.target instanceof Element ? event.target : null;
  if (!target) return;
  const toggle = target.closest("[data-theme-toggle]");
  if (toggle) {
    event.preventDefault();
    cycleTheme();
    return;
  }
  const close = target.closest("[data-dismiss]");
  if (close) {
    dismiss(close.closest("[data-flash]") || close.parentElement);
    return;
  }
  const copy = target.closest("[data-copy-target]");
  if (copy) copyFrom(copy);
});

document.addEventListener("htmx:configRequest", (event) => {
  event.detail.headers["X-CSRF-Token"] = csrfToken();
});

function problemDetail(xhr) {
  // HTMX requests get the API's problem+json documents; their detail is written for people.
  if (!(xhr.getResponseHeader("Content-Type") || "").includes("json")) return null;
  try {
    return JSON.parse(xhr.responseText).detail || null;
  } catch {
    return null;
  }
}

document.addEventListener("htmx:responseError", (event) => {
  const xhr = event.detail.xhr;
  const messages = {
    403: "You are not allowed to do that (or the form expired: reload the page).",
    404: "That no longer exists.",
    429: "Too many attempts; wait a moment and try again.",
  };
  showFlash(
    problemDetail(xhr) || messages[xhr.status] || `Something went wrong (HTTP ${xhr.status}). Please try again.`,
  );
});

document.addEventListener("htmx:sendError", () => showFlash("The server could not be reached."));

// Sent by the profile form after a save, so the new look applies without a reload.
document.addEventListener("sparkle:profile-saved", (event) => {
  const { theme, accentColor, onAccent } = event.detail || {};
  if (theme) applyTheme(theme);
  if (accentColor) document.documentElement.style.setProperty("--accent", accentColor);
  if (onAccent) document.documentElement.style.setProperty("--on-accent", onAccent);
});

htmx.onLoad((el) => init(el));

document.addEventListener("DOMContentLoaded", () => {
  if (!signedIn()) {
    const saved = localStorage.getItem(LOCAL_THEME_KEY);
    if (saved) applyTheme(saved);
  }
  applyTheme(document.documentElement.dataset.theme);
  init(document);
});
