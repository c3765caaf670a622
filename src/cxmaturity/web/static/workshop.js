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
  /* The page's texts in its language (web/pages/workshops.py SCRIPT_TEXTS, in a JSON block the page renders). */
  var texts = {};
  var textsBlock = document.getElementById("ws-texts");
  if (textsBlock) {
    try {
      texts = JSON.parse(textsBlock.textContent);
    } catch (e) {
      texts = {};
    }
  }

  /* A text with its %(name)s placeholders filled in (the catalogs' Python format; only s and d are used). */
  function t(key, params) {
    var text = texts[key] || key;
    return text.replace(/%\((\w+)\)[sd]/g, function (match, name) {
      return params && params[name] !== undefined ? String(params[name]) : match;
    });
  }

  function kindName(kind) {
    var names = texts.kinds || {};
    return names[kind] || kind.replace("_", " ");
  }

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
      fill("ws-item", [el("p", { class: "muted" }, view === "room" ? t("waiting") : t("no_item"))]);
      return;
    }
    var nodes = [el("h2", { id: "ws-item-title" }, item.title)];
    if (view !== "room" && item.reason) {
      nodes.push(el("p", { class: "muted" }, item.reason));
    }
    // A discussion item's title is its statement already: the question is not repeated under it.
    if (item.question && item.question !== item.title) {
      nodes.push(el("p", { class: "ws-question" }, item.question));
    }
    if (item.surveyed) {
      nodes.push(dots(item.surveyed.distribution, item.options, t("as_surveyed", { count: item.surveyed.answered })));
    }
    var status = el("p", { class: "ws-vote-state", "data-state": item.vote_state, "data-round": String(item.round) });
    if (item.vote_state === "open") {
      status.textContent = t("vote_open", { cast: item.votes_cast, participants: state.participants });
    } else if (item.vote_state === "revealed") {
      status.textContent = t("revealed", { round: item.round, count: item.votes_cast });
    } else {
      status.textContent = item.indicator ? t("no_vote") : "";
    }
    nodes.push(status);
    if (item.votes) {
      nodes.push(dots(item.votes, item.options, t("votes_in_round", { round: item.round })));
    }
    if (view === "room" && item.vote_state === "open") {
      var mine = state.me && state.me.vote;
      if (mine) {
        nodes.push(el("p", { class: "ws-voted", role: "status" }, t("you_voted", { choice: labelOf(item, mine) })));
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
        nodes.push(actionForm("reveal", { item_id: item.id }, t("reveal"), "primary"));
      } else {
        nodes.push(actionForm("open_vote", { item_id: item.id }, item.round ? t("open_another") : t("open_vote"), "primary"));
      }
    }
    if (item.agreed) {
      var agreed = el("div", { class: "ws-agreed", role: "status" });
      agreed.appendChild(el("strong", {}, t("agreed", { answer: item.agreed.label })));
      agreed.appendChild(el("p", {}, item.agreed.rationale));
      if (item.agreed.evidence) {
        if (/^https?:\/\//i.test(item.agreed.evidence)) {
          agreed.appendChild(el("a", { href: item.agreed.evidence, rel: "noopener noreferrer" }, t("evidence_link")));
        } else {
          agreed.appendChild(el("p", { class: "muted" }, t("evidence", { evidence: item.agreed.evidence })));
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
      row.appendChild(el("span", { class: "badge" }, kindName(entry.kind)));
      row.appendChild(el("span", { class: "ws-agenda-title" }, " " + entry.title + " "));
      if (!entry.skipped && !entry.current) {
        row.appendChild(actionForm("show", { item_id: entry.id }, t("show")));
      }
      row.appendChild(actionForm(entry.skipped ? "unskip" : "skip", { item_id: entry.id }, entry.skipped ? t("take_back") : t("skip")));
      if (index > 0) {
        row.appendChild(actionForm("move", { item_id: entry.id, position: index - 1 }, t("up")));
      }
      if (index < state.agenda.length - 1) {
        row.appendChild(actionForm("move", { item_id: entry.id, position: index + 1 }, t("down")));
      }
      return row;
    });
    fill("ws-agenda", rows);
  }

  function drawLists(state) {
    fill(
      "ws-commitments",
      state.commitments.map(function (c) {
        var text = (c.who ? c.who + ": " : "") + t("commitment", { what: c.what, date: c.by_when });
        return el("li", { "data-visibility": c.visibility }, text + (c.visibility === "private" ? " " + t("private") : ""));
      })
    );
    fill(
      "ws-steps",
      state.next_steps.map(function (s) {
        return el("li", {}, t("step", { title: s.title, owner: s.owner }) + (s.in_plan ? " " + t("in_plan") : ""));
      })
    );
    var count = byId("ws-participants");
    if (count) {
      count.textContent = String(state.participants);
    }
    var definition = byId("ws-definition-text");
    if (definition) {
      definition.textContent = state.definition || t("not_written");
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
      status.textContent = state.status === "running" ? "" : t("ended");
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
          error.textContent = result.ok ? "" : result.data.detail || t("failed");
          error.hidden = result.ok;
        }
        if (result.ok && form.hasAttribute("data-reset")) {
          form.reset();
        }
      })
      .catch(function () {
        if (error) {
          error.textContent = t("no_connection");
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
