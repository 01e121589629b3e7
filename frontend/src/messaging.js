// The messages page: live thread over the socket (send with an ack after commit, receive,
// read receipts, typing), unread badges and presence dots in the conversation list.
import { io } from "socket.io-client";

const root = document.querySelector("[data-messaging]");

function csrf() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

function clock(iso) {
  const d = new Date(iso);
  return `${String(d.getUTCHours()).padStart(2, "0")}:${String(d.getUTCMinutes()).padStart(2, "0")}`;
}

function messageItem(m, viewerId) {
  const li = document.createElement("li");
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
  return li;
}

function start() {
  const viewerId = root.dataset.viewerId;
  const activeId = root.dataset.conversationId || null;
  const list = root.querySelector("[data-messages]");
  const receipt = root.querySelector("[data-receipt]");
  const typing = root.querySelector("[data-typing]");
  const socket = io({ transports: ["websocket", "polling"], withCredentials: true });
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

  socket.on("connect", () => {
    if (activeId) socket.emit("subscribeToConversation", activeId, () => markLatestRead());
    const ids = [...root.querySelectorAll("[data-presence-user]")].map((el) => el.dataset.presenceUser);
    if (ids.length) {
      socket.emit("getPresence", ids, (found) => {
        for (const [uid, p] of Object.entries(found || {})) setPresence(uid, p.status);
      });
    }
  });

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
        body.append("isPublic", "true");
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

if (root) start();
