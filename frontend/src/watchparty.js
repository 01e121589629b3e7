// The watch party page: a YouTube player driven through a small adapter (the embed's
// postMessage command protocol), kept in sync with the party's state over the page's socket;
// host controls, chat and reactions, the live participant count.
import { withSharedSocket } from "./shared-socket.js";

const root = document.querySelector("[data-watch-party]");

// Talks to a YouTube embed with `enablejsapi=1`; every command is also recorded on the
// element (`data-player-state`, `data-player-position`, `data-last-command`) and in `log`.
export class YouTubeAdapter {
  constructor(container, videoId) {
    this.container = container;
    this.videoId = videoId;
    this.log = [];
    this.frame = document.createElement("iframe");
    this.frame.title = "Video player";
    this.frame.allow = "autoplay; encrypted-media; picture-in-picture";
    this.frame.src = this.url(videoId);
    container.append(this.frame);
  }

  url(videoId) {
    const origin = encodeURIComponent(window.location.origin);
    return `https://www.youtube-nocookie.com/embed/${videoId}?enablejsapi=1&playsinline=1&origin=${origin}`;
  }

  command(func, args = []) {
    this.log.push({ func, args });
    this.container.dataset.lastCommand = func;
    if (this.frame.contentWindow) {
      this.frame.contentWindow.postMessage(JSON.stringify({ event: "command", func, args }), "*");
    }
  }

  load(videoId, position) {
    this.videoId = videoId;
    this.command("loadVideoById", [{ videoId, startSeconds: position }]);
  }

  seek(position) {
    this.container.dataset.playerPosition = String(Math.round(position * 10) / 10);
    this.command("seekTo", [position, true]);
  }

  rate(value) { this.command("setPlaybackRate", [value]); }

  play() { this.container.dataset.playerState = "playing"; this.command("playVideo"); }

  pause() { this.container.dataset.playerState = "paused"; this.command("pauseVideo"); }
}

// Where the video should be now: the state's position at serverTime, moved on while playing.
export function positionNow(state, receivedAt, now = Date.now()) {
  if (state.status !== "playing") return state.positionSeconds;
  return state.positionSeconds + ((now - receivedAt) / 1000) * state.playbackRate;
}

export function applyState(player, state, receivedAt = Date.now()) {
  const position = positionNow(state, receivedAt);
  if (state.videoId !== player.videoId) player.load(state.videoId, position);
  player.seek(position);
  player.rate(state.playbackRate);
  if (state.status === "playing") player.play();
  else player.pause();
}

function clock(seconds) {
  const s = Math.floor(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

function start(socket) {
  const partyId = root.dataset.watchParty;
  const container = root.querySelector("[data-player]");
  const player = new YouTubeAdapter(container, root.dataset.videoId);
  window.sparkleWatchParty = { player, applyState, positionNow };
  const stateText = root.querySelector("[data-state-text]");
  const countEl = root.querySelector("[data-participant-count]");
  const chat = root.querySelector("[data-chat]");
  let current = null;
  let receivedAt = 0;

  function show(state) {
    current = state;
    receivedAt = Date.now();
    applyState(player, state, receivedAt);
    stateText.textContent = `${state.status} at ${clock(state.positionSeconds)}`;
  }

  async function refreshParticipants() {
    const resp = await fetch(`/api/watch-parties/${partyId}/participants`, { credentials: "same-origin" });
    if (!resp.ok) return;
    const list = root.querySelector("[data-participants]");
    list.replaceChildren(...(await resp.json()).filter((p) => p.isActive).map((p) => {
      const li = document.createElement("li");
      li.textContent = p.user.displayName + (p.role !== "guest" ? ` (${p.role})` : "");
      return li;
    }));
  }

  function addMoment(m) {
    if (chat.querySelector(`[data-moment-id="${m.id}"]`)) return;
    const li = document.createElement("li");
    li.dataset.momentId = m.id;
    const at = document.createElement("span");
    at.className = "wp-at";
    at.textContent = clock(m.videoPosition);
    const who = document.createElement("strong");
    who.textContent = m.user ? m.user.displayName : "Deleted user";
    li.append(at, " ", who, " ", m.content);
    chat.append(li);
    chat.scrollTop = chat.scrollHeight;
  }

  if (!socket || root.dataset.signedIn !== "true" || root.dataset.status === "ended") return;
  // Joining is per connection: join again on every connect (and now, if connected).
  const join = () => {
    socket.emit("joinWatchParty", partyId, (ack) => {
      if (ack && ack.ok) {
        show(ack.party.state);
        countEl.textContent = String(ack.party.participantCount);
        refreshParticipants();
      } else {
        stateText.textContent = (ack && ack.error && ack.error.message) || "Could not join.";
      }
    });
  };
  socket.on("connect", join);
  if (socket.connected) join();
  socket.on("watchPartyUpdate", (update) => {
    if (update.type === "state") show(update.state);
    else if (update.type === "userJoined" || update.type === "userLeft") {
      countEl.textContent = String(update.participantCount);
      refreshParticipants();
    } else if (update.type === "chat" || update.type === "reaction") addMoment(update.moment);
    else if (update.type === "momentDeleted") chat.querySelector(`[data-moment-id="${update.momentId}"]`)?.remove();
    else if (update.type === "hostChanged") {
      const mine = root.dataset.viewerId;
      if (mine && update.hostId === mine) root.querySelector("[data-host-controls]").hidden = false;
      refreshParticipants();
    } else if (update.type === "ended") {
      show(update.state);
      window.location.reload();
    }
  });

  const controls = root.querySelector("[data-host-controls]");
  if (controls) {
    const send = (state) => socket.emit("updateWatchPartyState", { partyId, state }, (ack) => {
      if (!ack || !ack.ok) stateText.textContent = (ack && ack.error && ack.error.message) || "Refused.";
    });
    const here = () => (current ? positionNow(current, receivedAt) : 0);
    controls.addEventListener("click", (event) => {
      const action = event.target.closest("[data-action]")?.dataset.action;
      if (action === "play") send({ status: "playing", positionSeconds: here() });
      else if (action === "pause") send({ status: "paused", positionSeconds: here() });
      else if (action === "seek") send({ positionSeconds: Number(controls.querySelector("[data-seek-input]").value) || 0 });
    });
  }

  const form = root.querySelector("[data-chat-form]");
  if (form) {
    const error = form.querySelector("[data-chat-error]");
    const say = (kind, content) => socket.emit("watchPartyMoment", { partyId, kind, content }, (ack) => {
      if (ack && ack.ok) { addMoment(ack.moment); error.hidden = true; }
      else { error.textContent = (ack && ack.error && ack.error.message) || "Not sent."; error.hidden = false; }
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const input = form.querySelector("input[name=content]");
      if (input.value.trim()) say("chat", input.value);
      input.value = "";
    });
    form.addEventListener("click", (event) => {
      const reaction = event.target.closest("[data-reaction]")?.dataset.reaction;
      if (reaction) say("reaction", reaction);
    });
  }
}

if (root) withSharedSocket(start);
