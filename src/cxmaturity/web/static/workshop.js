/* The live workshop's screens: the facilitator's control view, the presenter view and the participant's phone.
   The server sends the room's state over server-sent events (web/live.py): the state as it is when the stream
   (re)connects, then each newer version. This script draws it, and posts the page's forms in the background.
   Without it the pages still work: they show the state of the moment and every form reloads the page. */
(function () {
  "use strict";
  var root = document.querySelector("[data-workshop-view]");
  if (!root || !window.EventSource || !window.fetch) {
    return;
  }
  var view = root.getAttribute("data-workshop-view");
  var csrf = root.getAttribute("data-csrf") || "";
  var actionUrl = root.getAttribute("data-action") || "";
  var lastVersion = 0;
  var current = null;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      node.setAttribute(name, attrs[name]);
    });
    if (text !== undefined && text !== null) {
      node.textContent = String(text);
    }
    return node;
  }

  function byId(id) {
    return document.getElementById(id);
  }

  function fill(id, nodes) {
    var target = byId(id);
    if (target) {
      target.replaceChildren.apply(target, nodes);
    }
  }

  /* A small form that posts one action; its fields are hidden inputs, its button the label. */
  function actionForm(action, fields, label, extraClass) {
    var form = el("form", { method: "post", action: actionUrl, class: "inline ws-form" });
    form.appendChild(el("input", { type: "hidden", name: "csrf_token", value: csrf }));
    form.appendChild(el("input", { type: "hidden", name: "action", value: action }));
    Object.keys(fields).forEach(function (name) {
      form.appendChild(el("input", { type: "hidden", name: name, value: String(fields[name]) }));
    });
    var button = el("button", { type: "submit", class: extraClass || "secondary" }, label);
    form.appendChild(button);
    return form;
  }

  function dots(counts, options, caption) {
    var box = el("div", { class: "ws-dist" });
    box.appendChild(el("p", { class: "ws-caption" }, caption));
    var list = el("ul", { class: "ws-rows" });
    options.forEach(function (option) {
      var n = counts[option.key] || 0;
      var row = el("li", { "data-option": option.key, "data-count": String(n) });
      row.appendChild(el("span", { class: "ws-label" }, option.label));
      // The dots are a picture of the count beside them: hidden from screen readers, which read the count.
      var people = el("span", { class: "ws-dots", "aria-hidden": "true" });
      people.textContent = new Array(n + 1).join("\u25CF");
      row.appendChild(people);
      row.appendChild(el("span", { class: "ws-count" }, String(n)));
      list.appendChild(row);
    });
    box.appendChild(list);
    return box;
  }

  function labelOf(item, key) {
    var found = (item.options || []).filter(function (o) {
      return o.key === key;
    })[0];
    return found ? found.label : key;
  }

  function drawItem(state) {
    var item = state.item;
    if (!item) {
      fill("ws-item", [el("p", { class: "muted" }, view === "room" ? "Waiting for the facilitator to start." : "No item on screen.")]);
      return;
    }
    var nodes = [el("h2", { id: "ws-item-title" }, item.title)];
    if (view !== "room" && item.reason) {
      nodes.push(el("p", { class: "muted" }, item.reason));
    }
    if (item.question) {
      nodes.push(el("p", { class: "ws-question" }, item.question));
    }
    if (item.surveyed) {
      nodes.push(dots(item.surveyed.distribution, item.options, "As surveyed (" + item.surveyed.answered + " answers)"));
    }
    var status = el("p", { class: "ws-vote-state", "data-state": item.vote_state, "data-round": String(item.round) });
    if (item.vote_state === "open") {
      status.textContent = "Vote open: " + item.votes_cast + " of " + state.participants + " voted (hidden until revealed)";
    } else if (item.vote_state === "revealed") {
      status.textContent = "Round " + item.round + " revealed: " + item.votes_cast + " votes";
    } else {
      status.textContent = item.indicator ? "No vote yet." : "";
    }
    nodes.push(status);
    if (item.votes) {
      nodes.push(dots(item.votes, item.options, "Votes in round " + item.round));
    }
    if (view === "room" && item.vote_state === "open") {
      var mine = state.me && state.me.vote;
      if (mine) {
        nodes.push(el("p", { class: "ws-voted", role: "status" }, "You voted: " + labelOf(item, mine) + ". Waiting for the reveal."));
      } else {
        var choices = el("div", { class: "ws-choices" });
        item.options.forEach(function (option) {
          choices.appendChild(actionForm("vote", { item_id: item.id, round: item.round, option: option.key }, option.label, "ws-choice"));
        });
        nodes.push(choices);
      }
    }
    if (view === "control" && item.indicator) {
      if (item.vote_state === "open") {
        nodes.push(actionForm("reveal", { item_id: item.id }, "Reveal the votes", "primary"));
      } else {
        nodes.push(actionForm("open_vote", { item_id: item.id }, item.round ? "Open another vote" : "Open a vote", "primary"));
      }
    }
    if (item.agreed) {
      var agreed = el("div", { class: "ws-agreed", role: "status" });
      agreed.appendChild(el("strong", {}, "Agreed: " + item.agreed.label));
      agreed.appendChild(el("p", {}, item.agreed.rationale));
      if (item.agreed.evidence) {
        if (/^https?:\/\//i.test(item.agreed.evidence)) {
          agreed.appendChild(el("a", { href: item.agreed.evidence, rel: "noopener noreferrer" }, "Evidence"));
        } else {
          agreed.appendChild(el("p", { class: "muted" }, "Evidence: " + item.agreed.evidence));
        }
      }
      nodes.push(agreed);
    }
    fill("ws-item", nodes);
    var agreeForm = byId("ws-agree");
    if (agreeForm && item.indicator) {
      agreeForm.hidden = false;
      agreeForm.querySelector("[name=indicator]").value = item.indicator;
      var select = agreeForm.querySelector("[name=option]");
      if (select.getAttribute("data-indicator") !== item.indicator) {
        select.replaceChildren.apply(
          select,
          item.options.map(function (o) {
            return el("option", { value: o.key }, o.label);
          })
        );
        select.setAttribute("data-indicator", item.indicator);
      }
    } else if (agreeForm) {
      agreeForm.hidden = true;
    }
  }

  function drawAgenda(state) {
    if (view !== "control") {
      return;
    }
    var rows = state.agenda.map(function (entry, index) {
      var row = el("li", { class: entry.current ? "ws-current" : entry.skipped ? "ws-skipped" : "", "data-item": String(entry.id) });
      row.appendChild(el("span", { class: "badge" }, entry.kind.replace("_", " ")));
      row.appendChild(el("span", { class: "ws-agenda-title" }, " " + entry.title + " "));
      if (!entry.skipped && !entry.current) {
        row.appendChild(actionForm("show", { item_id: entry.id }, "Show"));
      }
      row.appendChild(actionForm(entry.skipped ? "unskip" : "skip", { item_id: entry.id }, entry.skipped ? "Take back" : "Skip"));
      if (index > 0) {
        row.appendChild(actionForm("move", { item_id: entry.id, position: index - 1 }, "\u2191 Up"));
      }
      if (index < state.agenda.length - 1) {
        row.appendChild(actionForm("move", { item_id: entry.id, position: index + 1 }, "\u2193 Down"));
      }
      return row;
    });
    fill("ws-agenda", rows);
  }

  function drawLists(state) {
    fill(
      "ws-commitments",
      state.commitments.map(function (c) {
        var text = (c.who ? c.who + ": " : "") + c.what + " (by " + c.by_when + ")";
        return el("li", { "data-visibility": c.visibility }, text + (c.visibility === "private" ? " [private]" : ""));
      })
    );
    fill(
      "ws-steps",
      state.next_steps.map(function (s) {
        return el("li", {}, s.title + " (owner: " + s.owner + ")" + (s.in_plan ? " \u2713 in the plan" : ""));
      })
    );
    var count = byId("ws-participants");
    if (count) {
      count.textContent = String(state.participants);
    }
    var definition = byId("ws-definition-text");
    if (definition) {
      definition.textContent = state.definition || "Not written yet.";
    }
    var editor = byId("ws-definition-editor");
    if (editor && document.activeElement !== editor) {
      editor.value = state.definition;
      var base = byId("ws-definition-base");
      if (base) {
        base.value = state.definition;
      }
    }
    var status = byId("ws-status");
    if (status) {
      status.textContent = state.status === "running" ? "" : "This workshop has ended. Thank you.";
      status.hidden = state.status === "running";
    }
    root.setAttribute("data-version", String(state.version));
  }

  function draw(state) {
    if (state.version < lastVersion) {
      return;
    }
    lastVersion = state.version;
    current = state;
    drawItem(state);
    drawAgenda(state);
    drawLists(state);
  }

  function post(form) {
    var error = form.querySelector(".ws-error") || byId("ws-error");
    var body = new URLSearchParams(new FormData(form));
    return fetch(form.getAttribute("action") || actionUrl, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        return response.json().then(function (data) {
          return { ok: response.ok, data: data };
        });
      })
      .then(function (result) {
        if (error) {
          error.textContent = result.ok ? "" : result.data.detail || "That did not work.";
          error.hidden = result.ok;
        }
        if (result.ok && form.hasAttribute("data-reset")) {
          form.reset();
        }
      })
      .catch(function () {
        if (error) {
          error.textContent = "No connection: nothing was changed. Try again.";
          error.hidden = false;
        }
      });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.classList.contains("ws-form")) {
      return;
    }
    event.preventDefault();
    post(form);
  });

  var source = new EventSource(root.getAttribute("data-events"));
  source.addEventListener("state", function (event) {
    draw(JSON.parse(event.data));
    /* When the workshop ends the server ends the stream; the browser's one retry then gets 204 and stops. */
    root.setAttribute("data-live", current && current.status !== "running" ? "ended" : "connected");
  });
  source.addEventListener("error", function () {
    root.setAttribute("data-live", "reconnecting");
  });
})();
