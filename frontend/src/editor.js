// The post editor: Tiptap with the toolbar of the editor page, writing its JSON document into
// the form's hidden `content` field, and the tag field turned into chips. The server checks the
// document against its allow-list; the extensions here produce only what it accepts.
import { Editor } from "@tiptap/core";
import Highlight from "@tiptap/extension-highlight";
import Image from "@tiptap/extension-image";
import { closeHistory } from "@tiptap/pm/history";
import Link from "@tiptap/extension-link";
import { Placeholder } from "@tiptap/extension-placeholder";
import StarterKit from "@tiptap/starter-kit";
import { progressBar, uploadFile, withPlaceholder } from "./media.js";

const SAFE_LINK = /^(https?:\/\/|mailto:)/i;
const SAFE_IMAGE = /^(https:\/\/|\/media\/)/i;
const UPLOADABLE = ["image/jpeg", "image/png", "image/gif", "image/webp"];

const COMMANDS = {
  bold: { run: (c) => c.toggleBold(), active: (e) => e.isActive("bold") },
  italic: { run: (c) => c.toggleItalic(), active: (e) => e.isActive("italic") },
  strike: { run: (c) => c.toggleStrike(), active: (e) => e.isActive("strike") },
  code: { run: (c) => c.toggleCode(), active: (e) => e.isActive("code") },
  h1: { run: (c) => c.toggleHeading({ level: 1 }), active: (e) => e.isActive("heading", { level: 1 }) },
  h2: { run: (c) => c.toggleHeading({ level: 2 }), active: (e) => e.isActive("heading", { level: 2 }) },
  bulletList: { run: (c) => c.toggleBulletList(), active: (e) => e.isActive("bulletList") },
  orderedList: { run: (c) => c.toggleOrderedList(), active: (e) => e.isActive("orderedList") },
  blockquote: { run: (c) => c.toggleBlockquote(), active: (e) => e.isActive("blockquote") },
  highlight: { run: (c) => c.toggleHighlight(), active: (e) => e.isActive("highlight") },
  undo: { run: (c) => c.undo(), enabled: (e) => e.can().undo() },
  redo: { run: (c) => c.redo(), enabled: (e) => e.can().redo() },
  link: { run: null, active: (e) => e.isActive("link") },
  image: { run: null },
  upload: { run: null },
};

function readDocument(field) {
  try {
    const doc = JSON.parse(field.value);
    if (doc && doc.type === "doc") return doc;
  } catch {
    // An unreadable value starts an empty document; the server would refuse it anyway.
  }
  return { type: "doc", content: [{ type: "paragraph" }] };
}

// A refusal of the toolbar's own (a link or image address it cannot use) shows under the
// toolbar and becomes the description of the button that was pressed; the next command clears it.
function toolbarMessage(form) {
  const box = form.querySelector("[data-editor-message]");
  return (button, text) => {
    if (!box) {
      if (text) window.alert(text);
      return;
    }
    box.textContent = text;
    box.hidden = !text;
    for (const other of form.querySelectorAll(`[aria-describedby="${box.id}"]`)) other.removeAttribute("aria-describedby");
    if (text && button) button.setAttribute("aria-describedby", box.id);
  };
}

function askLink(editor, refuse) {
  const current = editor.getAttributes("link").href || "";
  const url = window.prompt("Link address (https://…, or empty to remove the link)", current);
  if (url === null) return;
  const chain = editor.chain().focus().extendMarkRange("link");
  if (url.trim() === "") {
    chain.unsetLink().run();
  } else if (SAFE_LINK.test(url.trim())) {
    chain.setLink({ href: url.trim() }).run();
  } else {
    refuse("Links must start with https://, http:// or mailto:");
  }
}

function askImage(editor, refuse) {
  const url = window.prompt("Image address (https://…)");
  if (!url) return;
  if (!SAFE_IMAGE.test(url.trim())) {
    refuse("Images must be https:// addresses");
    return;
  }
  const alt = window.prompt("Describe the image for people who cannot see it", "") || null;
  insertImage(editor, { src: url.trim(), alt });
}

// Inserts an image with an empty line below it and puts the caret there, so what the member
// types (or inserts) next goes after the image instead of replacing it. The insertion is an
// undo step of its own (an upload lands seconds after the typing around it).
function insertImage(editor, attrs, pos = null) {
  const content = [{ type: "image", attrs }, { type: "paragraph" }];
  const chain = editor
    .chain()
    .focus()
    .command(({ tr }) => {
      closeHistory(tr);
      return true;
    });
  (pos === null ? chain.insertContent(content) : chain.insertContentAt(pos, content)).run();
}

// Uploads images (toolbar, drop or paste) and inserts them at `pos` (or the selection), with
// a progress bar while they upload and their blurhash while they load.
async function uploadImages(editor, files, status, pos = null) {
  for (const file of files) {
    if (!UPLOADABLE.includes(file.type)) {
      progressBar(status, "").fail(`${file.name || "This file"}: only JPEG, PNG, GIF and WebP images`);
      continue;
    }
    const bar = progressBar(status, `Uploading ${file.name || "image"}…`);
    try {
      const upload = await uploadFile(file, { category: "post", onProgress: bar.set });
      const src = upload.variants.large || upload.url;
      insertImage(editor, { src, alt: null }, pos);
      requestAnimationFrame(() => {
        for (const img of editor.view.dom.querySelectorAll("img")) {
          if (img.getAttribute("src") === src) withPlaceholder(img, upload);
        }
      });
      bar.done("Image added.");
    } catch (error) {
      bar.fail(error.message);
    }
  }
}

function imageFiles(list) {
  return Array.from(list || []).filter((file) => file.type.startsWith("image/"));
}

function syncToolbar(editor, toolbar) {
  for (const button of toolbar.querySelectorAll("[data-cmd]")) {
    const command = COMMANDS[button.dataset.cmd];
    if (!command) continue;
    if (command.active) button.setAttribute("aria-pressed", String(command.active(editor)));
    if (command.enabled) button.disabled = !command.enabled(editor);
  }
}

function mountEditor(form) {
  const mount = form.querySelector("[data-editor-mount]");
  const field = form.querySelector("[data-editor-content]");
  const toolbar = form.querySelector("[data-editor-toolbar]");
  if (!mount || !field) return;
  const picker = form.querySelector("[data-editor-upload]");
  const status = form.querySelector("[data-editor-upload-status]") || document.createElement("div");
  let editor = null;

  editor = new Editor({
    element: mount,
    content: readDocument(field),
    injectCSS: false,
    extensions: [
      // The server allows headings 1–3 and no underline; links come from Link below.
      StarterKit.configure({ heading: { levels: [1, 2, 3] }, link: false, underline: false }),
      Link.configure({
        openOnClick: false,
        autolink: true,
        defaultProtocol: "https",
        protocols: ["http", "https", "mailto"],
        isAllowedUri: (url) => SAFE_LINK.test(url),
      }),
      Image.configure({ inline: false }),
      Highlight,
      Placeholder.configure({ placeholder: mount.dataset.placeholder || "" }),
    ],
    editorProps: {
      attributes: {
        role: "textbox",
        "aria-multiline": "true",
        "aria-label": "Post content",
        "data-testid": "editor",
      },
      handleDrop: (view, event, _slice, moved) => {
        const files = imageFiles(event.dataTransfer && event.dataTransfer.files);
        if (moved || !files.length) return false;
        event.preventDefault();
        mount.classList.remove("drop-target");
        const at = view.posAtCoords({ left: event.clientX, top: event.clientY });
        uploadImages(editor, files, status, at ? at.pos : null);
        return true;
      },
      handlePaste: (_view, event) => {
        const files = imageFiles(event.clipboardData && event.clipboardData.files);
        if (!files.length) return false;
        event.preventDefault();
        uploadImages(editor, files, status);
        return true;
      },
    },
  });
  mount.addEventListener("dragover", (event) => {
    if (event.dataTransfer && Array.from(event.dataTransfer.types).includes("Files")) mount.classList.add("drop-target");
  });
  mount.addEventListener("dragleave", () => mount.classList.remove("drop-target"));
  if (picker) {
    picker.addEventListener("change", () => {
      uploadImages(editor, imageFiles(picker.files), status);
      picker.value = "";
    });
  }

  const write = () => {
    field.value = JSON.stringify(editor.getJSON());
  };
  editor.on("update", write);
  form.addEventListener("submit", write);

  if (toolbar) {
    const say = toolbarMessage(form);
    toolbar.hidden = false;
    toolbar.addEventListener("click", (event) => {
      const button = event.target instanceof Element ? event.target.closest("[data-cmd]") : null;
      if (!button) return;
      const name = button.dataset.cmd;
      say(null, "");
      const refuse = (text) => say(button, text);
      if (name === "link") askLink(editor, refuse);
      else if (name === "image") askImage(editor, refuse);
      else if (name === "upload" && picker) picker.click();
      else if (COMMANDS[name]) COMMANDS[name].run(editor.chain().focus()).run();
    });
    editor.on("transaction", () => syncToolbar(editor, toolbar));
    syncToolbar(editor, toolbar);
  }
}

// Tags: the plain comma-separated field becomes chips and a text box; the field keeps the
// comma-separated value the server reads, so the form posts the same thing either way.
function mountTags(field) {
  const max = Number(field.dataset.maxTags) || 5;
  const box = document.createElement("div");
  box.className = "tag-editor";
  const list = document.createElement("ul");
  list.className = "tag-chips";
  list.setAttribute("aria-label", "Chosen tags");
  const input = document.createElement("input");
  input.type = "text";
  input.id = field.id;
  input.className = "tag-entry";
  input.autocomplete = "off";
  input.maxLength = 30;
  for (const attr of ["aria-describedby", "aria-invalid"]) {
    if (field.hasAttribute(attr)) input.setAttribute(attr, field.getAttribute(attr));
  }
  field.removeAttribute("id");
  field.type = "hidden";
  box.append(list, input);
  field.after(box);

  let tags = field.value.split(",").map((t) => t.trim()).filter(Boolean);

  const render = () => {
    list.replaceChildren(
      ...tags.map((tag, index) => {
        const chip = document.createElement("li");
        chip.className = "tag-chip";
        chip.dataset.testid = "tag-chip";
        chip.append(`#${tag}`);
        const remove = document.createElement("button");
        remove.type = "button";
        remove.setAttribute("aria-label", `Remove tag ${tag}`);
        remove.textContent = "\u00d7";
        remove.addEventListener("click", () => {
          tags.splice(index, 1);
          render();
          input.focus();
        });
        chip.append(remove);
        return chip;
      }),
    );
    field.value = tags.join(", ");
    const full = tags.length >= max;
    input.disabled = full;
    input.placeholder = full ? `${max} tags: that's the limit` : "Add a tag…";
  };

  const add = () => {
    const tag = input.value.replace(/,/g, " ").trim().toLowerCase();
    input.value = "";
    if (tag && !tags.includes(tag) && tags.length < max) tags.push(tag);
    render();
  };

  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === ",") {
      // Enter adds a tag; it must not submit the form.
      event.preventDefault();
      add();
    } else if (event.key === "Backspace" && input.value === "" && tags.length) {
      tags.pop();
      render();
    }
  });
  input.addEventListener("blur", () => {
    if (input.value.trim()) add();
  });
  render();
}

document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("[data-post-editor]")) mountEditor(form);
  for (const field of document.querySelectorAll("[data-tag-input]")) mountTags(field);
});
