// Live pages over Socket.IO: presence dots (PresenceIndicator) and a status menu, live comments,
// reaction counts and "X is typing…" on the post page, the notification bell's count, and a
// visible "Reconnecting…" state. The pages work without it; it only adds.
import { io } from "socket.io-client";

const STATUS_LABELS = { online: "Online", away: "Away", busy: "Busy", invisible: "Invisible", offline: "Offline" };
const TYPING_SEND_MS = 2500;
const TYPING_SHOW_MS = 6000;
const REACTION_LABELS = { LIKE: "Like", LOVE: "Love", LAUGH: "Laugh", WOW: "Wow", SAD: "Sad", ANGRY: "Angry" };

let socket = null;
let me = null;
const presence = new Map(); // userId -> {status, lastSeen}
const usernames = new Map(); // username (lower case) -> userId

function signedIn() {
  return document.body && document.body.dataset.signedIn === "true";
}

// --- connection state ------------------------------------------------------------------------

function banner() {
  let el = document.querySelector(".rt-connection");
  if (!el) {
    el = document.createElement("div");
    el.className = "rt-connection";
    el.setAttribute("role", "status");
    el.setAttribute("aria-live", "polite");
    el.dataset.testid = "rt-connection";
    el.hidden = true;
    document.body.append(el);
  }
  return el;
}

function showState(text) {
  const el = banner();
  el.textContent = text || "";
  el.hidden = !text;
}

// --- presence --------------------------------------------------------------------------------

function lastSeenText(iso) {
  if (!iso) return "";
  const minutes = Math.floor((Date.now() - new Date(iso).getTime()) / 60000);
  if (minutes < 1) return "last seen just now";
  if (minutes < 60) return `last seen ${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `last seen ${hours} h ago`;
  return `last seen ${Math.floor(hours / 24)} d ago`;
}

function describe(p) {
  const status = p && p.status ? p.status : "offline";
  const label = STATUS_LABELS[status] || "Offline";
  return status === "offline" && p && p.lastSeen ? `${label}, ${lastSeenText(p.lastSeen)}` : label;
}

function paintDot(dot) {
  const p = presence.get(dot.dataset.presenceUser);
  const status = p ? p.status : "offline";
  dot.dataset.status = status;
  const text = describe(p);
  dot.title = text;
  dot.setAttribute("aria-label", text);
}

function paintUser(userId) {
  for (const dot of document.querySelectorAll(`[data-presence-user="${userId}"]`)) paintDot(dot);
}

function presenceTargets() {
  const found = [];
  for (const link of document.querySelectorAll("a.byline-name, a.author-card-name")) {
    const m = (link.getAttribute("href") || "").match(/^\/u\/([^/?#]+)$/);
    if (m) found.push({ anchor: link, username: decodeURIComponent(m[1]) });
  }
  const handle = document.querySelector(".profile .handle, .handle");
  const heading = handle && handle.parentElement ? handle.parentElement.querySelector("h1") : null;
  if (handle && heading && handle.textContent.trim().startsWith("@")) {
    found.push({ anchor: heading, username: handle.textContent.trim().slice(1), large: true });
  }
  return found;
}

async function loadPresence() {
  const targets = presenceTargets().filter((t) => !t.anchor.nextElementSibling?.matches?.(".rt-presence"));
  if (!targets.length) return;
  const names = [...new Set(targets.map((t) => t.username))].slice(0, 500);
  let body;
  try {
    const res = await fetch(`/api/presence?usernames=${encodeURIComponent(names.join(","))}`, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    if (!res.ok) return;
    body = await res.json();
  } catch {
    return;
  }
  for (const [name, id] of Object.entries(body.usernames || {})) usernames.set(name.toLowerCase(), id);
  for (const [id, p] of Object.entries(body.presence || {})) presence.set(id, p);
  for (const t of targets) {
    const id = usernames.get(t.username.toLowerCase());
    if (!id || t.anchor.nextElementSibling?.matches?.(".rt-presence")) continue;
    const dot = document.createElement("span");
    dot.className = t.large ? "rt-presence rt-presence-large" : "rt-presence";
    dot.dataset.presenceUser = id;
    dot.dataset.testid = "presence-dot";
    dot.setAttribute("role", "img");
    t.anchor.after(dot);
    paintDot(dot);
  }
  // Hear about these people even when not following them.
  for (const id of new Set([...usernames.values()])) {
    if (id !== me) socket.emit("subscribeToUser", id);
  }
}

function onPresence(data) {
  if (!data || !data.userId) return;
  const old = presence.get(data.userId) || {};
  const next = { ...old, status: data.status || "offline" };
  if (data.lastSeen) next.lastSeen = data.lastSeen;
  if (next.status === "offline" && !next.lastSeen) next.lastSeen = data.timestamp || new Date().toISOString();
  presence.set(data.userId, next);
  paintUser(data.userId);
}

function statusMenu() {
  const nav = document.querySelector(".site-header .nav");
  if (!nav || nav.querySelector(".rt-status-menu")) return;
  const select = document.createElement("select");
  select.className = "rt-status-menu";
  select.setAttribute("aria-label", "Your status");
  select.dataset.testid = "status-menu";
  for (const status of ["online", "away", "busy", "invisible"]) {
    const option = document.createElement("option");
    option.value = status;
    option.textContent = STATUS_LABELS[status];
    select.append(option);
  }
  select.addEventListener("change", () => {
    socket.emit("updatePresence", { status: select.value });
  });
  nav.append(select);
}

// --- the post page ---------------------------------------------------------------------------

function currentPostId() {
  const bar = document.querySelector('[data-testid="reactions"][id^="reactions-"]');
  return bar ? bar.id.slice("reactions-".length) : null;
}

// A reader busy in the thread (a reply form open, a box focused or holding text) keeps it: a
// live refresh then waits until they are done (their own submit re-renders the section anyway).
function engaged(thread) {
  if (!thread) return false;
  const active = document.activeElement;
  if (active && active.tagName === "TEXTAREA" && thread.contains(active)) return true;
  for (const box of thread.querySelectorAll("textarea")) {
    if (!box.value.trim()) continue;
    // A closed form's text counts only once the reader changed it: the Edit form of their own
    // comment comes filled with the comment.
    if (!box.closest("details:not([open])") || box.value !== box.defaultValue) return true;
  }
  return Boolean(thread.querySelector("details[open]"));
}

let deferredRefresh = null;

async function refreshComments(postId, count) {
  const section = document.getElementById("comments");
  if (!section) return;
  const title = section.querySelector("#comments-title .muted");
  if (title && typeof count === "number") title.textContent = `(${count})`;
  let thread = section.querySelector("ol.comment-thread");
  if (engaged(thread)) {
    deferredRefresh = postId;
    return;
  }
  let html;
  try {
    const res = await fetch(`/posts/${postId}/comments`, { credentials: "same-origin", headers: { "HX-Request": "true" } });
    if (!res.ok) return;
    html = await res.text();
  } catch {
    return;
  }
  // Checked again: the reader may have opened a reply form while the fetch was on its way.
  if (!section.isConnected) return;
  thread = section.querySelector("ol.comment-thread");
  if (engaged(thread)) {
    deferredRefresh = postId;
    return;
  }
  deferredRefresh = null;
  if (!thread) {
    thread = document.createElement("ol");
    thread.className = "comment-thread";
    for (const p of section.querySelectorAll(":scope > p.muted")) if (/No comments yet/.test(p.textContent)) p.remove();
    section.append(thread);
  }
  thread.innerHTML = html;
  if (window.htmx) window.htmx.process(thread);
  loadPresence();
}

function updateReactions(data, postId) {
  if (!data || data.entityType !== "post" || data.entityId !== postId || !data.counts) return;
  const bar = document.getElementById(`reactions-${postId}`);
  if (!bar) return;
  for (const [type, count] of Object.entries(data.counts)) {
    for (const el of bar.querySelectorAll(`[data-reaction="${type}"]`)) {
      const counter = el.querySelector(".count");
      if (counter) counter.textContent = String(count);
      if (el.tagName === "BUTTON") el.setAttribute("aria-label", `${REACTION_LABELS[type] || type}: ${count}`);
    }
  }
}

function typingLine(section) {
  let line = section.querySelector(".rt-typing");
  if (!line) {
    line = document.createElement("p");
    line.className = "rt-typing muted small";
    line.setAttribute("aria-live", "polite");
    line.dataset.testid = "typing-indicator";
    const form = section.querySelector(":scope > form.comment-form");
    if (form) form.after(line);
    else section.querySelector("h2")?.after(line);
  }
  return line;
}

function setupPostPage(postId) {
  const section = document.getElementById("comments");
  const typists = new Map(); // userId -> {username, timer}
  const render = () => {
    if (!section) return;
    const names = [...typists.values()].map((t) => t.username);
    const line = typingLine(section);
    line.textContent = !names.length
      ? ""
      : names.length === 1
        ? `${names[0]} is typing…`
        : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]} are typing…`;
  };
  const stop = (userId) => {
    const t = typists.get(userId);
    if (t) clearTimeout(t.timer);
    typists.delete(userId);
    render();
  };
  // A deferred refresh runs once the reader closes their reply form or leaves an empty box.
  const resume = () => {
    if (deferredRefresh !== postId) return;
    const thread = document.querySelector("#comments ol.comment-thread");
    if (!engaged(thread)) refreshComments(postId);
  };
  document.addEventListener("toggle", (event) => event.target.closest && event.target.closest("#comments") && resume(), true);
  document.addEventListener("focusout", (event) => event.target.closest && event.target.closest("#comments") && setTimeout(resume, 0));
  socket.on("commentCreated", (c) => c && c.postId === postId && refreshComments(postId, c.commentCount));
  socket.on("commentUpdated", (c) => c && c.postId === postId && refreshComments(postId, c.commentCount));
  socket.on("commentDeleted", () => refreshComments(postId));
  socket.on("reactionAdded", (d) => updateReactions(d, postId));
  socket.on("reactionRemoved", (d) => updateReactions(d, postId));
  socket.on("userTyping", (d) => {
    if (!d || d.channelId !== postId || d.userId === me) return;
    const old = typists.get(d.userId);
    if (old) clearTimeout(old.timer);
    typists.set(d.userId, { username: d.username, timer: setTimeout(() => stop(d.userId), TYPING_SHOW_MS) });
    render();
  });
  socket.on("userStoppedTyping", (d) => d && d.channelId === postId && stop(d.userId));

  // Our own typing, throttled; stopped on submit, blur or emptying the box.
  let lastSent = 0;
  const channel = { channelId: postId, channelType: "post" };
  document.addEventListener("input", (event) => {
    const box = event.target;
    if (!(box instanceof HTMLTextAreaElement) || !box.closest("#comments form.comment-form")) return;
    if (!box.value.trim()) {
      if (lastSent) socket.emit("stopTyping", channel);
      lastSent = 0;
      return;
    }
    if (Date.now() - lastSent > TYPING_SEND_MS) {
      lastSent = Date.now();
      socket.emit("startTyping", channel);
    }
  });
  const stopMine = () => {
    if (lastSent) socket.emit("stopTyping", channel);
    lastSent = 0;
  };
  document.addEventListener("submit", (event) => {
    if (event.target.closest && event.target.closest("#comments")) stopMine();
  });
  document.addEventListener("focusout", (event) => {
    if (event.target instanceof HTMLTextAreaElement && event.target.closest("#comments")) stopMine();
  });
}

// --- notifications ---------------------------------------------------------------------------

// The bell (its badge and its screen-reader text) is kept by notifications.js, which listens
// for this event.
function setUnread(count) {
  if (typeof count !== "number") return;
  document.body.dispatchEvent(new CustomEvent("sparkle:unread-count", { detail: count }));
}

// --- start -----------------------------------------------------------------------------------

function start() {
  if (!signedIn() || socket) return;
  socket = io({
    path: "/socket.io",
    transports: ["websocket", "polling"],
    withCredentials: true,
    reconnectionDelay: 1000,
    reconnectionDelayMax: 15000,
    randomizationFactor: 0.5,
  });
  window.sparkleRealtime = socket;
  const postId = currentPostId();
  let everConnected = false;

  socket.on("connected", (data) => {
    me = data.userId;
    socket.emit("getPresence", [me], (map) => {
      const mine = map && map[me];
      const menu = document.querySelector(".rt-status-menu");
      if (mine && menu && mine.status !== "offline") menu.value = mine.status;
    });
  });
  socket.on("connect", () => {
    everConnected = true;
    showState("");
    document.documentElement.dataset.realtime = "connected";
    // Rooms do not survive a reconnect: subscribe again.
    if (postId) socket.emit("subscribeToPost", postId);
    presence.clear();
    for (const dot of document.querySelectorAll(".rt-presence")) dot.remove();
    loadPresence();
  });
  socket.on("disconnect", (reason) => {
    document.documentElement.dataset.realtime = "disconnected";
    if (reason === "io server disconnect") {
      // The server ended the session (for example token_expired): try again shortly with the
      // cookies the page has now; a refused connect stops the retries.
      setTimeout(() => socket.connect(), 2000);
    }
    showState("Reconnecting…");
  });
  socket.on("connect_error", (err) => {
    const msg = err && err.message;
    if (msg === "Authentication required" || msg === "Invalid token") {
      socket.disconnect();
      showState("");
      return;
    }
    if (everConnected) showState("Reconnecting…");
  });
  socket.io.on("reconnect_attempt", () => showState("Reconnecting…"));
  socket.on("serverShutdown", () => showState("Reconnecting…"));
  socket.on("presenceUpdate", onPresence);
  socket.on("userOffline", (d) => onPresence({ ...d, status: "offline" }));
  socket.on("unreadCountUpdate", setUnread);
  socket.on("notification", (n) => {
    document.dispatchEvent(new CustomEvent("sparkle:notification", { detail: n }));
  });
  statusMenu();
  if (postId) setupPostPage(postId);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
