// The messages page: live thread over the page's socket (send with an ack after commit,
// receive, read receipts, typing, reactions), unread badges and presence dots in the
// conversation list.
import { withSharedSocket } from "./shared-socket.js";

const root = document.querySelector("[data-messaging]");
const REACTIONS = [["LIKE", "👍", "Like"], ["LOVE", "❤️", "Love"], ["LAUGH", "😂", "Laugh"],
  ["WOW", "😮", "Wow"], ["SAD", "😢", "Sad"], ["ANGRY", "😠", "Angry"]];

function csrf() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

function clock(iso) {
  const d = new Date(iso);
  return `${String(d.getUTCHours()).padStart(2, "0")}:${String(d.getUTCMinutes()).padStart(2, "0")}`;
}

// The same markup as messaging/_reactions.html: forms that also work without JavaScript.
function reactionToggle(conversationId, messageId, [type, emoji, label], mine, count) {
  const form = document.createElement("form");
  form.method = "post";
  form.action = `/messages/${conversationId}/reactions/${messageId}/${type}`;
  form.className = "inline-form";
  for (const [name, value] of [["csrf_token", csrf()], ["action", mine ? "remove" : "add"]]) {
    const input = document.createElement("input");
    input.type = "hidden";
    input.name = name;
    input.value = value;
    form.append(input);
  }
  const button = document.createElement("button");
  button.type = "submit";
  button.className = `reaction reaction-small${mine ? " is-mine" : ""}`;
  button.setAttribute("aria-pressed", mine ? "true" : "false");
  button.setAttribute("aria-label", `${label}: ${count}`);
  button.title = label;
  button.dataset.reaction = type;
  const face = document.createElement("span");
  face.setAttribute("aria-hidden", "true");
  face.textContent = emoji;
  button.append(face);
  if (count) {
    const n = document.createElement("span");
    n.className = "count";
    n.setAttribute("aria-hidden", "true");
    n.textContent = String(count);
    button.append(n);
  }
  form.append(button);
  return form;
}

function renderReactions(li, conversationId, counts, mine) {
  let bar = li.querySelector("[data-reactions]");
  if (!bar) {
    bar = document.createElement("div");
    bar.className = "dm-reactions";
    bar.dataset.reactions = "";
    bar.dataset.testid = "message-reactions";
    bar.setAttribute("role", "group");
    bar.setAttribute("aria-label", "Reactions to this message");
    li.insertBefore(bar, li.querySelector("time"));
  }
  const id = li.dataset.messageId;
  bar.dataset.mine = mine.join(",");
  const shown = REACTIONS.filter(([type]) => counts[type]).map((r) => reactionToggle(conversationId, id, r, mine.includes(r[0]), counts[r[0]]));
  const picker = document.createElement("details");
  picker.className = "reaction-picker";
  const summary = document.createElement("summary");
  summary.setAttribute("aria-label", "React to this message");
  summary.dataset.testid = "message-react";
  summary.textContent = "+";
  const options = document.createElement("div");
  options.className = "reaction-picker-options";
  options.append(...REACTIONS.map((r) => reactionToggle(conversationId, id, r, mine.includes(r[0]), 0)));
  picker.append(summary, options);
  bar.replaceChildren(...shown, picker);
}

function messageItem(m, viewerId) {
  const li = document.createElement("li");
  li.id = `message-${m.id}`;
  li.className = "dm-message";
  if (m.senderId === viewerId) li.classList.add("is-mine");
  if (m.type === "system") li.classList.add("is-system");
  if (m.deleted) li.classList.add("is-deleted");
  li.dataset.messageId = m.id;
  li.dataset.senderId = m.senderId || "";
  li.dataset.testid = "message";
  li.setAttribute("data-testid", "message");
  if (m.type !== "system" && m.senderId !== viewerId) {
    const who = document.createElement("span");
    who.className = "dm-sender";
    who.textContent = m.sender ? m.sender.displayName : "Deleted user";
    li.append(who);
  }
  const p = document.createElement("p");
  p.className = "dm-content";
  p.textContent = m.content;
  li.append(p);
  for (const a of m.attachments || []) {
    const link = document.createElement("a");
    link.href = a.url;
    link.className = "dm-attachment";
    if (a.fileType === "image") {
      const img = document.createElement("img");
      img.src = a.thumbnailUrl || a.url;
      img.alt = a.originalName;
      link.append(img);
    } else {
      link.textContent = a.originalName;
      link.classList.add("dm-file");
    }
    li.append(link);
  }
  const time = document.createElement("time");
  time.dateTime = m.createdAt;
  time.textContent = clock(m.createdAt) + (m.editedAt ? " · edited" : "");
  li.append(time);
  if (!m.deleted && m.type !== "system") renderReactions(li, m.conversationId, m.reactions || {}, m.myReactions || []);
  return li;
}

function start(socket) {
  const viewerId = root.dataset.viewerId;
  const activeId = root.dataset.conversationId || null;
  const list = root.querySelector("[data-messages]");
  const receipt = root.querySelector("[data-receipt]");
  const typing = root.querySelector("[data-typing]");
  const typers = new Map();

  const scroll = () => { if (list) list.scrollTop = list.scrollHeight; };

  function updateReceipt() {
    if (!list || !receipt) return;
    const upto = list.dataset.seenUpto || "";
    const mine = [...list.querySelectorAll(".dm-message.is-mine")];
    const last = mine[mine.length - 1];
    receipt.hidden = !(last && upto && last.dataset.messageId <= upto);
  }

  function markLatestRead() {
    if (!list || document.visibilityState !== "visible") return;
    const theirs = [...list.querySelectorAll(".dm-message")].filter((li) => li.dataset.senderId !== viewerId);
    const last = theirs[theirs.length - 1];
    if (last && last.dataset.messageId !== list.dataset.readUpto) {
      list.dataset.readUpto = last.dataset.messageId;
      socket.emit("markMessageRead", last.dataset.messageId, () => {});
    }
  }

  function append(m) {
    if (!list || list.querySelector(`[data-message-id="${m.id}"]`)) return;
    list.append(messageItem(m, viewerId));
    updateReceipt();
    scroll();
  }

  function bumpList(m) {
    const item = root.querySelector(`[data-conversation-item="${m.conversationId}"]`);
    if (!item) return;
    const preview = item.querySelector("[data-preview]");
    if (preview) preview.textContent = m.content.slice(0, 80);
    if (m.conversationId !== activeId && m.senderId !== viewerId) {
      const badge = item.querySelector("[data-unread]");
      badge.textContent = String((Number(badge.textContent) || 0) + 1);
      badge.classList.remove("is-empty");
    }
    item.parentElement.prepend(item);
  }

  function showTyping() {
    if (!typing) return;
    const names = [...typers.values()];
    typing.textContent = names.length ? `${names.join(", ")} ${names.length > 1 ? "are" : "is"} typing…` : "";
  }

  // Rooms do not survive a reconnect: join again on every connect (and now, if connected).
  const joined = () => {
    if (activeId) {
      socket.emit("subscribeToConversation", activeId, () => {
        root.dataset.subscribed = activeId; // live typing and receipts flow from here on
        markLatestRead();
      });
    }
    const ids = [...root.querySelectorAll("[data-presence-user]")].map((el) => el.dataset.presenceUser);
    if (ids.length) {
      socket.emit("getPresence", ids, (found) => {
        for (const [uid, p] of Object.entries(found || {})) setPresence(uid, p.status);
      });
    }
  };
  socket.on("connect", joined);
  if (socket.connected) joined();

  function setPresence(userId, status) {
    for (const dot of root.querySelectorAll(`[data-presence-user="${userId}"]`)) {
      dot.dataset.status = status;
      dot.title = status;
    }
  }

  socket.on("presenceUpdate", (p) => setPresence(p.userId, p.status));
  socket.on("messageReceived", (m) => {
    bumpList(m);
    if (m.conversationId === activeId) {
      append(m);
      if (m.senderId !== viewerId) markLatestRead();
    }
  });
  socket.on("messageUpdated", (m) => replace(m));
  socket.on("messageDeleted", (m) => replace(m));
  function replace(m) {
    const old = list && list.querySelector(`[data-message-id="${m.id}"]`);
    if (old) old.replaceWith(messageItem(m, viewerId));
  }
  socket.on("messageRead", ({ messageId }) => {
    if (!list) return;
    if (!list.dataset.seenUpto || messageId > list.dataset.seenUpto) list.dataset.seenUpto = messageId;
    updateReceipt();
  });
  socket.on("userTyping", ({ userId, channelId, username }) => {
    if (channelId !== activeId || userId === viewerId) return;
    typers.set(userId, username);
    showTyping();
  });
  socket.on("userStoppedTyping", ({ userId }) => { typers.delete(userId); showTyping(); });
  socket.on("messageReactionUpdated", (d) => {
    const li = list && d && d.conversationId === activeId && list.querySelector(`[data-message-id="${d.messageId}"]`);
    if (!li) return;
    const bar = li.querySelector("[data-reactions]");
    let mine = bar && bar.dataset.mine ? bar.dataset.mine.split(",") : [];
    if (d.userId === viewerId) mine = d.added ? [...new Set([...mine, d.type])] : mine.filter((t) => t !== d.type);
    renderReactions(li, activeId, d.reactions || {}, mine);
  });
  // Reaction toggles go to the API; the answer (and the socket, for everybody else) redraws.
  if (list) {
    list.addEventListener("submit", async (event) => {
      const form = event.target.closest("[data-reactions] form");
      if (!form) return;
      event.preventDefault();
      const li = form.closest("[data-message-id]");
      const type = form.querySelector("[data-reaction]").dataset.reaction;
      const remove = form.querySelector("input[name=action]").value === "remove";
      const resp = await fetch(`/api/messages/${li.dataset.messageId}/reactions/${type}`, {
        method: remove ? "DELETE" : "POST",
        credentials: "same-origin",
        headers: { "X-CSRF-Token": csrf(), Accept: "application/json" },
      });
      if (!resp.ok) return;
      const body = await resp.json();
      renderReactions(li, activeId, body.reactions, body.myReactions);
    });
  }
  document.addEventListener("visibilitychange", markLatestRead);

  const form = root.querySelector("[data-composer]");
  if (form) {
    const box = form.querySelector("textarea");
    const error = form.querySelector("[data-composer-error]");
    const file = form.querySelector("[data-attachment]");
    let lastTyping = 0;
    box.addEventListener("input", () => {
      const now = Date.now();
      if (now - lastTyping > 2000) {
        lastTyping = now;
        socket.emit("startTyping", { channelId: activeId, channelType: "conversation" });
      }
    });
    box.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); form.requestSubmit(); }
    });
    form.addEventListener("submit", async (event) => {
      if (!socket.connected) return; // the form posts without the socket
      event.preventDefault();
      error.hidden = true;
      const attachmentIds = [];
      if (file && file.files.length) {
        const body = new FormData();
        body.append("file", file.files[0]);
        body.append("category", "message");
        body.append("isPublic", "false"); // shown to participants through the message's link
        const resp = await fetch("/api/uploads", { method: "POST", body, credentials: "same-origin",
          headers: { "X-CSRF-Token": csrf() } });
        if (!resp.ok) { error.textContent = "The attachment could not be uploaded."; error.hidden = false; return; }
        attachmentIds.push((await resp.json()).id);
      }
      const content = box.value;
      if (!content.trim() && !attachmentIds.length) return;
      socket.emit("sendMessage", { conversationId: activeId, content, type: "text", attachmentIds }, (ack) => {
        if (ack && ack.ok) {
          box.value = "";
          if (file) file.value = "";
          append(ack.message);
          socket.emit("stopTyping", { channelId: activeId, channelType: "conversation" });
          lastTyping = 0;
        } else {
          error.textContent = (ack && ack.error && ack.error.message) || "The message was not sent.";
          error.hidden = false;
        }
      });
    });
  }
  updateReceipt();
  scroll();
}

if (root) withSharedSocket((socket) => socket && start(socket));
