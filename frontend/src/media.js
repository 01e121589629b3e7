// Uploads from the pages: POST /api/uploads with upload progress, blurhash placeholders, and
// the upload widgets of forms ([data-media-upload]: the profile's avatar and banner, a post's
// cover) that fill a URL field with the uploaded image's variant and show a preview.
import { decode } from "blurhash";

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

// Sends `file` and resolves with the upload's JSON; `onProgress(percent)` follows the bytes
// sent (to 90 %: the server still has to process them).
export function uploadFile(file, { category, isPublic = true, onProgress } = {}) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    // The category goes first: the server applies its size limit while the file streams in.
    form.append("category", category);
    form.append("isPublic", String(isPublic));
    form.append("file", file, file.name || "pasted-image");
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/uploads");
    xhr.setRequestHeader("X-CSRF-Token", csrfToken());
    xhr.setRequestHeader("Accept", "application/json");
    xhr.withCredentials = true;
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable && onProgress) onProgress(Math.round((event.loaded / event.total) * 90));
    });
    xhr.addEventListener("load", () => {
      let body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = null;
      }
      if (xhr.status >= 200 && xhr.status < 300 && body) {
        if (onProgress) onProgress(100);
        resolve(body);
      } else {
        reject(new Error((body && body.detail) || `Upload failed (${xhr.status})`));
      }
    });
    xhr.addEventListener("error", () => reject(new Error("The upload was interrupted")));
    xhr.send(form);
  });
}

// A data: URL of the blurhash, drawn small (the browser scales it smoothly).
export function blurhashDataURL(hash, width = 32, height = 32) {
  try {
    const pixels = decode(hash, width, height);
    const canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    const ctx = canvas.getContext("2d");
    const image = ctx.createImageData(width, height);
    image.data.set(pixels);
    ctx.putImageData(image, 0, 0);
    return canvas.toDataURL();
  } catch {
    return null;
  }
}

// Shows the blurhash behind `img` until the image itself has loaded.
export function withPlaceholder(img, upload) {
  if (!upload.blurhash || img.complete) return;
  const url = blurhashDataURL(upload.blurhash);
  if (!url) return;
  img.classList.add("media-loading");
  img.style.backgroundImage = `url("${url}")`;
  if (upload.dimensions) img.style.aspectRatio = `${upload.dimensions.width} / ${upload.dimensions.height}`;
  const clear = () => {
    img.classList.remove("media-loading");
    img.style.backgroundImage = "";
    img.style.aspectRatio = "";
  };
  img.addEventListener("load", clear, { once: true });
  img.addEventListener("error", clear, { once: true });
}

// A progress bar with a message, inside `host`.
export function progressBar(host, label) {
  const box = document.createElement("div");
  box.className = "upload-progress";
  box.dataset.testid = "upload-progress";
  const text = document.createElement("span");
  text.className = "upload-progress-label";
  text.textContent = label;
  const bar = document.createElement("progress");
  bar.max = 100;
  bar.value = 0;
  bar.setAttribute("aria-label", label);
  box.append(text, bar);
  host.replaceChildren(box);
  return {
    set(percent) {
      bar.value = percent;
    },
    done(message) {
      bar.value = 100;
      text.textContent = message;
      setTimeout(() => box.remove(), 1500);
    },
    fail(message) {
      box.classList.add("upload-failed");
      bar.remove();
      text.textContent = message;
      text.setAttribute("role", "alert");
    },
  };
}

function mountWidget(widget) {
  widget.dataset.mediaMounted = "true";
  const input = widget.querySelector("[data-media-input]");
  const target = document.querySelector(widget.dataset.target);
  const preview = widget.querySelector("[data-media-preview]");
  const status = widget.querySelector("[data-media-status]");
  if (!input || !target) return;
  input.addEventListener("change", async () => {
    const file = input.files && input.files[0];
    if (!file) return;
    const bar = progressBar(status, `Uploading ${file.name}…`);
    try {
      const upload = await uploadFile(file, { category: widget.dataset.category, onProgress: bar.set });
      const url = upload.variants[widget.dataset.variant || "large"] || upload.url;
      target.value = url;
      target.dispatchEvent(new Event("input", { bubbles: true }));
      if (preview) {
        preview.hidden = false;
        preview.src = url;
        withPlaceholder(preview, upload);
      }
      bar.done("Uploaded. Save to keep it.");
    } catch (error) {
      bar.fail(error.message);
    } finally {
      input.value = "";
    }
  });
  if (preview) {
    target.addEventListener("change", () => {
      preview.hidden = !target.value;
      if (target.value) preview.src = target.value;
    });
  }
}

export function mountUploadWidgets(root = document) {
  for (const widget of root.querySelectorAll("[data-media-upload]:not([data-media-mounted])")) {
    mountWidget(widget);
  }
}

document.addEventListener("DOMContentLoaded", () => mountUploadWidgets());
// The profile form is swapped by HTMX after a save: mount the new widgets.
document.addEventListener("htmx:afterSettle", (event) => mountUploadWidgets(event.target));
