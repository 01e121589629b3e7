// Starts ReDoc on the spec named by the container's data-spec-url.
const el = document.getElementById("redoc");
Redoc.init(el.dataset.specUrl, { hideDownloadButton: false }, el);
