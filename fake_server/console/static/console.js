// The console's only script: live refresh of the page's content, and a JSON check in forms.
// Without it every page still works; it only saves pressing reload.
(function () {
  "use strict";

  var seconds = Number(document.body.dataset.refreshSeconds || 0);
  var live = document.getElementById("live");
  var updated = document.getElementById("updated");
  var STORE = "fake-conductor-console-live";

  function openDetails(root) {
    var open = {};
    root.querySelectorAll("details[data-key]").forEach(function (element) {
      open[element.dataset.key] = element.open;
    });
    return open;
  }

  function keepDetails(root, open) {
    root.querySelectorAll("details[data-key]").forEach(function (element) {
      if (element.dataset.key in open) {
        element.open = open[element.dataset.key];
      }
    });
  }

  function busy() {
    if (document.querySelector("form[data-touched]")) {
      return true; // a form half filled in: a reload would lose it
    }
    var active = document.activeElement;
    var typing =
      active &&
      /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName) &&
      !/^(checkbox|radio|submit|button)$/.test(active.type);
    var selecting = String(window.getSelection ? window.getSelection() : "").length > 0;
    return typing || selecting || document.hidden;
  }

  function refresh() {
    if (!live || !live.checked || busy()) {
      return;
    }
    fetch(window.location.href, { headers: { "X-Console-Refresh": "1" } })
      .then(function (response) {
        if (!response.ok) {
          // The server is there; the page is not (a workflow removed, a server reset).
          throw new Error("the server answered HTTP " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        if (!live.checked) {
          return; // paused while the answer was on its way
        }
        var fresh = new DOMParser().parseFromString(html, "text/html");
        var content = document.getElementById("content");
        var replacement = fresh.getElementById("content");
        if (!content || !replacement) {
          return;
        }
        var open = openDetails(content);
        content.innerHTML = replacement.innerHTML;
        keepDetails(content, open);
        var footer = fresh.querySelector("footer");
        if (footer) {
          document.querySelector("footer").innerHTML = footer.innerHTML;
        }
        updated.textContent = "updated " + new Date().toLocaleTimeString();
      })
      .catch(function (error) {
        var answered = /^the server answered/.test(error.message);
        updated.textContent =
          "not updated: " + (answered ? error.message : "server unreachable (" + error.message + ")");
      });
  }

  if (live && seconds > 0) {
    live.checked = window.localStorage.getItem(STORE) !== "off";
    live.addEventListener("change", function () {
      window.localStorage.setItem(STORE, live.checked ? "on" : "off");
      updated.textContent = live.checked ? "" : "paused";
    });
    window.setInterval(refresh, seconds * 1000);
  }

  // Actions that throw work away ask first; a form being filled in holds the live reload.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });
  document.addEventListener("input", function (event) {
    var form = event.target.form;
    if (form && form.classList.contains("action")) {
      form.dataset.touched = "1";
    }
  });

  // Say at once whether a JSON field parses, before the form goes to the server. Listened
  // for on the document: fields that a live reload brings are checked too.
  function checkJson(area) {
    var note = area.parentElement.querySelector(".json-check");
    var text = area.value.trim();
    var message = "";
    if (text) {
      try {
        var value = JSON.parse(text);
        if (value === null || typeof value !== "object" || Array.isArray(value)) {
          message = "must be a JSON object ({...})";
        }
      } catch (error) {
        message = "not JSON yet: " + error.message;
      }
    }
    area.classList.toggle("invalid", message !== "");
    if (note) {
      note.textContent = message;
    }
  }
  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("textarea[data-json]")) {
      checkJson(event.target);
    }
  });
  document.querySelectorAll("textarea[data-json]").forEach(checkJson);

  // The start form's input begins as the chosen workflow's declared inputs; picking another
  // workflow swaps them, unless something was typed there.
  var chosen = document.getElementById("start-name");
  var input = document.getElementById("start-input");
  if (chosen && input) {
    var template = function () {
      var option = chosen.options[chosen.selectedIndex];
      return (option && option.dataset.inputTemplate) || "{}";
    };
    var shown = template();
    chosen.addEventListener("change", function () {
      var untouched = input.value.trim() === shown || input.value.trim() === "{}";
      shown = template();
      if (untouched) {
        input.value = shown;
        input.dispatchEvent(new Event("input"));
      }
    });
  }
})();
