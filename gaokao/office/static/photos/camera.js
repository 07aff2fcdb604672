// Webcam capture for a candidate's photo (R3). No inline script: the page's texts come from
// data-msg-* attributes, so they are translated on the server. The frame shows the central
// 3:4 part of the picture; the same part is drawn onto the canvas and posted as a JPEG, with
// the form's CSRF token and source=camera, to the page's own upload address. The server
// normalises it to 480 × 640 like any other file. The picture is never mirrored.
(function () {
  "use strict";

  const panel = document.querySelector("[data-camera]");
  if (!panel) {
    return;
  }
  const video = panel.querySelector("video");
  const canvas = panel.querySelector("canvas");
  const status = panel.querySelector("[data-camera-status]");
  const form = panel.querySelector("[data-camera-form]");
  const buttons = {};
  for (const button of panel.querySelectorAll("[data-action]")) {
    buttons[button.dataset.action] = button;
  }
  const MAX_HEIGHT = 1280; // twice the standard's height is plenty for the server's resize
  let stream = null;

  function text(name) {
    return panel.dataset[name] || "";
  }

  function say(message, isError) {
    status.textContent = message;
    status.classList.toggle("text-danger", Boolean(isError));
    status.classList.toggle("text-muted", !isError);
  }

  function offer(...names) {
    for (const [name, button] of Object.entries(buttons)) {
      button.hidden = !names.includes(name);
      button.disabled = false;
    }
  }

  function problem(error) {
    switch (error && error.name) {
      case "NotAllowedError":
      case "PermissionDeniedError":
      case "SecurityError":
        return text("msgDenied");
      case "NotFoundError":
      case "DevicesNotFoundError":
      case "OverconstrainedError":
        return text("msgNotFound");
      case "NotReadableError":
      case "TrackStartError":
      case "AbortError":
        return text("msgBusy");
      default:
        return text("msgFailed");
    }
  }

  function stop() {
    if (stream) {
      for (const track of stream.getTracks()) {
        track.stop();
      }
      stream = null;
    }
  }

  async function start() {
    buttons.start.disabled = true;
    say(text("msgStarting"));
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        audio: false,
        video: { facingMode: "user", width: { ideal: 1280 }, height: { ideal: 960 } },
      });
      video.srcObject = stream;
      await video.play();
    } catch (error) {
      stop();
      say(problem(error), true);
      offer("start");
      return;
    }
    canvas.hidden = true;
    video.hidden = false;
    offer("capture");
    say(text("msgReady"));
  }

  function capture() {
    const width = video.videoWidth;
    const height = video.videoHeight;
    if (!width || !height) {
      say(text("msgNotReady"), true);
      return;
    }
    let cropWidth = width;
    let cropHeight = height;
    if (width * 4 > height * 3) {
      cropWidth = Math.round((height * 3) / 4);
    } else {
      cropHeight = Math.round((width * 4) / 3);
    }
    const scale = Math.min(1, MAX_HEIGHT / cropHeight);
    canvas.width = Math.round(cropWidth * scale);
    canvas.height = Math.round(cropHeight * scale);
    canvas
      .getContext("2d")
      .drawImage(
        video,
        (width - cropWidth) / 2,
        (height - cropHeight) / 2,
        cropWidth,
        cropHeight,
        0,
        0,
        canvas.width,
        canvas.height,
      );
    video.hidden = true;
    canvas.hidden = false;
    offer("send", "retake");
    say(text("msgCheck"));
  }

  function retake() {
    canvas.hidden = true;
    video.hidden = false;
    offer("capture");
    say(text("msgReady"));
  }

  function errorsIn(html) {
    const page = new DOMParser().parseFromString(html, "text/html");
    const errors = page.querySelector("[data-photo-errors]");
    return errors ? errors.textContent.trim().replace(/\s+/g, " ") : "";
  }

  async function post(blob) {
    const body = new FormData(form); // the CSRF token and source=camera
    body.append("file", blob, "camera.jpg");
    const note = document.getElementById("id_note");
    if (note) {
      body.append("note", note.value);
    }
    let response;
    try {
      // A redirect means saved (or signed out): reload the page to show either.
      response = await fetch(form.action, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        redirect: "manual",
      });
    } catch (error) {
      say(text("msgSendFailed"), true);
      offer("send", "retake");
      return;
    }
    if (response.type === "opaqueredirect" || (response.status >= 300 && response.status < 400)) {
      stop();
      window.location.assign(form.action);
      return;
    }
    const reason = errorsIn(await response.text());
    say(reason || `${text("msgSendFailed")} (HTTP ${response.status})`, true);
    offer("send", "retake");
  }

  function send() {
    offer();
    say(text("msgSending"));
    canvas.toBlob(
      (blob) => {
        if (blob) {
          post(blob);
        } else {
          say(text("msgSendFailed"), true);
          offer("send", "retake");
        }
      },
      "image/jpeg",
      0.92,
    );
  }

  // getUserMedia exists only in secure contexts (HTTPS, or localhost).
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    say(text("msgUnsupported"), true);
    offer();
    return;
  }
  buttons.start.addEventListener("click", start);
  buttons.capture.addEventListener("click", capture);
  buttons.send.addEventListener("click", send);
  buttons.retake.addEventListener("click", retake);
  window.addEventListener("pagehide", stop);
})();
