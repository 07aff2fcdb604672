// Reads a card through the reader bridge on this PC, then hands the card to the server:
// for batch intake (#intake), to verify a candidate's card (#verify) or to reset a
// forgotten confirmation password after checking the card (#reset-confirmation).
(function () {
  "use strict";

  function csrf(box) {
    return box.querySelector("input[name=csrfmiddlewaretoken]").value;
  }

  function show(box, ok, text) {
    var status = box.querySelector("[data-role=status]");
    status.className = "alert mt-2 " + (ok ? "alert-success" : "alert-danger");
    status.textContent = text;
  }

  function readCard(box) {
    return fetch(box.dataset.reader + "/read", { method: "POST" })
      .then(function (r) { return r.json(); })
      .catch(function () {
        return { ok: false, error: box.dataset.bridgeDown };
      });
  }

  function send(box, body) {
    return fetch(box.dataset.post, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf(box) },
      body: JSON.stringify(body),
    }).then(function (r) { return r.json(); });
  }

  function wire(box, action, handle) {
    var button = box.querySelector("[data-action=" + action + "]");
    button.addEventListener("click", function () {
      button.disabled = true;  // one read at a time: a double click reads once
      readCard(box)
        .then(function (read) {
          if (!read.ok) { show(box, false, read.error); return; }
          return handle(read.card);
        })
        .finally(function () { button.disabled = false; button.focus(); });
    });
  }

  var intake = document.getElementById("intake");
  if (intake) {
    wire(intake, "read", function (card) {
      var track = intake.querySelector("select[name=subject_track]").value;
      return send(intake, { subject_track: track, card: card }).then(function (answer) {
        if (!answer.ok) { show(intake, false, answer.error); return; }
        show(intake, true, answer.registration_number + " " + answer.name + (answer.note ? "：" + answer.note : ""));
        var row = document.createElement("tr");
        var link = document.createElement("a");
        link.href = answer.url;
        link.textContent = answer.registration_number;
        var cells = [link, answer.name, intake.querySelector("select[name=subject_track] option:checked").textContent];
        cells.forEach(function (content) {
          var td = document.createElement("td");
          if (typeof content === "string") { td.textContent = content; } else { td.appendChild(content); }
          row.appendChild(td);
        });
        intake.querySelector("[data-role=rows]").prepend(row);
      });
    });
  }

  var verify = document.getElementById("verify");
  if (verify) {
    wire(verify, "verify", function (card) {
      return send(verify, { card: card }).then(function (answer) {
        if (!answer.ok) { show(verify, false, answer.error); return; }
        window.location = answer.url;
      });
    });
  }

  var reset = document.getElementById("reset-confirmation");
  if (reset) {
    wire(reset, "reset", function (card) {
      return send(reset, { card: card }).then(function (answer) {
        show(reset, answer.ok, answer.ok ? answer.message : answer.error);
      });
    });
  }
})();
