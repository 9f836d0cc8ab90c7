#include "ferkit/serve/page.h"

namespace ferkit::serve {

const char* const kTryItPage = R"ferkit_page(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ferkit: facial expressions</title>
<style>
  body { font-family: sans-serif; margin: 1.5em auto; max-width: 1000px; color: #222; padding: 0 1em; }
  h1 { font-size: 1.4em; margin-bottom: .2em; }
  #drop { border: 2px dashed #999; border-radius: 8px; padding: 1em; text-align: center; color: #555; margin: 1em 0; }
  #drop.over { background: #eef; border-color: #447; }
  #status { min-height: 1.4em; color: #444; }
  #status.error { color: #b00; }
  #stage { display: flex; flex-wrap: wrap; gap: 1.5em; align-items: flex-start; }
  canvas { max-width: 100%; border: 1px solid #ccc; }
  .face { min-width: 260px; }
  .face h3 { margin: .2em 0; font-size: 1em; }
  .bar { display: flex; align-items: center; gap: .5em; font-size: .85em; margin: 2px 0; }
  .bar span.name { width: 6.5em; }
  .bar span.track { flex: 1; background: #eee; height: .8em; position: relative; }
  .bar span.fill { position: absolute; left: 0; top: 0; bottom: 0; background: #47a; }
  .bar span.value { width: 3.5em; text-align: right; }
  video { display: none; }
</style>
</head>
<body>
<h1>ferkit: facial expressions</h1>
<p id="model">Loading the model&hellip;</p>
<form id="form">
  <div id="drop">Drop a photo here, or <input type="file" id="file" name="image" accept="image/*">
  <button type="button" id="webcam">Use the webcam</button></div>
</form>
<p id="status"></p>
<div id="stage"><canvas id="canvas" width="640" height="480"></canvas><div id="faces"></div></div>
<video id="video" autoplay playsinline muted></video>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const colours = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#9a6324"];
let busy = false;

fetch("/v1/model").then((r) => r.json()).then((m) => {
  $("model").textContent = "Model: " + (m.architecture && m.architecture.backbone ? m.architecture.backbone.name : "?") + ", classes: " +
    (m.classes || []).join(", ") + ". Faces: " + (m.detector || "?") + ".";
}).catch(() => { $("model").textContent = "The model could not be described."; });

function status(text, error) { $("status").textContent = text; $("status").className = error ? "error" : ""; }

// Draws the picture, then a box and the top emotion per face, and a bar per class beside it.
function show(image, result) {
  const canvas = $("canvas"), ctx = canvas.getContext("2d");
  const scale = Math.min(1, 960 / image.width);
  canvas.width = Math.round(image.width * scale);
  canvas.height = Math.round(image.height * scale);
  ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
  const list = $("faces");
  list.innerHTML = "";
  if (result.error) { status(result.error, true); return; }
  const faces = result.faces || [];
  status(faces.length === 0 ? "No face found." : faces.length + (faces.length === 1 ? " face." : " faces."));
  faces.forEach((f, i) => {
    const c = colours[i % colours.length], b = f.box;
    ctx.strokeStyle = c;
    ctx.lineWidth = Math.max(2, 3 * scale);
    ctx.strokeRect(b.x * scale, b.y * scale, b.width * scale, b.height * scale);
    const label = (i + 1) + ": " + f.emotion + " " + Math.round(100 * f.confidence) + "%";
    ctx.font = "bold 16px sans-serif";
    const w = ctx.measureText(label).width + 8, y = Math.max(0, b.y * scale - 22);
    ctx.fillStyle = c;
    ctx.fillRect(b.x * scale, y, w, 22);
    ctx.fillStyle = "#fff";
    ctx.fillText(label, b.x * scale + 4, y + 16);
    const card = document.createElement("div");
    card.className = "face";
    card.dataset.emotion = f.emotion;
    const title = document.createElement("h3");
    title.style.color = c;
    title.textContent = "Face " + (i + 1) + ": " + f.emotion;
    card.appendChild(title);
    Object.entries(f.probabilities).sort((a, b) => b[1] - a[1]).forEach(([name, p]) => {
      const row = document.createElement("div");
      row.className = "bar";
      row.innerHTML = '<span class="name"></span><span class="track"><span class="fill"></span></span><span class="value"></span>';
      row.querySelector(".name").textContent = name;
      row.querySelector(".fill").style.width = (100 * p).toFixed(1) + "%";
      row.querySelector(".value").textContent = (100 * p).toFixed(1) + "%";
      card.appendChild(row);
    });
    list.appendChild(card);
  });
  // For checks (and the browser test): the boxes as drawn, in canvas pixels.
  document.body.dataset.boxes = JSON.stringify(faces.map((f) => [f.box.x * scale, f.box.y * scale, f.box.width * scale, f.box.height * scale]));
  document.body.dataset.faces = String(faces.length);
}

// Sends the image bytes to the API and shows the answer on the picture.
function predict(blob) {
  if (busy) return Promise.resolve();
  busy = true;
  status("Looking for faces\u2026");
  const url = URL.createObjectURL(blob);
  const image = new Image();
  const loaded = new Promise((ok, fail) => { image.onload = ok; image.onerror = fail; image.src = url; });
  const answer = fetch("/v1/predict", { method: "POST", headers: { "Content-Type": blob.type || "application/octet-stream" }, body: blob })
    .then((r) => r.json());
  return Promise.all([loaded, answer]).then(([, result]) => show(image, result))
    .catch((e) => status("That did not work: " + e, true))
    .finally(() => { busy = false; URL.revokeObjectURL(url); });
}

$("file").addEventListener("change", () => { if ($("file").files.length) predict($("file").files[0]); });
const drop = $("drop");
["dragenter", "dragover"].forEach((e) => drop.addEventListener(e, (ev) => { ev.preventDefault(); drop.classList.add("over"); }));
["dragleave", "drop"].forEach((e) => drop.addEventListener(e, (ev) => { ev.preventDefault(); drop.classList.remove("over"); }));
drop.addEventListener("drop", (ev) => { if (ev.dataTransfer.files.length) predict(ev.dataTransfer.files[0]); });

// The webcam: a frame a second, while the page is open.
$("webcam").addEventListener("click", () => {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { status("This browser gives no webcam here (it needs https or localhost).", true); return; }
  navigator.mediaDevices.getUserMedia({ video: true }).then((stream) => {
    const video = $("video");
    video.srcObject = stream;
    const grab = document.createElement("canvas");
    setInterval(() => {
      if (!video.videoWidth || busy) return;
      grab.width = video.videoWidth;
      grab.height = video.videoHeight;
      grab.getContext("2d").drawImage(video, 0, 0);
      grab.toBlob((b) => b && predict(b), "image/jpeg", 0.85);
    }, 1000);
  }).catch((e) => status("No webcam: " + e, true));
});
</script>
</body>
</html>
)ferkit_page";

}  // namespace ferkit::serve
