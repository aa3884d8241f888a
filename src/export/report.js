"use strict";
(function () {
  var errors = [];
  window.addEventListener("error", function (e) { errors.push(String(e.message)); });
  var PAGE = 50;
  var docs = JSON.parse(document.getElementById("data").textContent);
  var state = { q: "", label: "", place: "", placeName: "", page: 0, hits: docs };
  var main = document.getElementById("docs");

  function el(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text !== undefined && text !== null) n.textContent = text;
    return n;
  }
  function slice(cps, a, b) { return cps.slice(a, b).join(""); }
  // e = [start, end, label, canonical name, kind, score, place]
  function tip(e) {
    var parts = [e[2]];
    if (e[3]) parts.push(e[3]);
    if (e[4]) parts.push(e[4]);
    parts.push("score " + Number(e[5]).toFixed(2));
    if (e[6]) parts.push(e[6]);
    return parts.join(" · ");
  }
  function highlighted(cps, ents) {
    var p = el("p", "text"), pos = 0;
    ents.forEach(function (e) {
      if (e[0] > pos) p.appendChild(document.createTextNode(slice(cps, pos, e[0])));
      var m = el("mark", "ent l-" + e[2], slice(cps, e[0], e[1]));
      m.title = tip(e);
      m.setAttribute("data-label", e[2]);
      p.appendChild(m);
      pos = e[1];
    });
    if (pos < cps.length) p.appendChild(document.createTextNode(slice(cps, pos, cps.length)));
    return p;
  }
  function entityTable(cps, ents) {
    var det = el("details"), t = el("table", "ents"), head = el("tr");
    det.appendChild(el("summary", null, ents.length + " entities"));
    ["text", "label", "canonical", "kind", "score", "place", "offsets"].forEach(function (h) { head.appendChild(el("th", null, h)); });
    t.appendChild(head);
    ents.forEach(function (e) {
      var tr = el("tr");
      [slice(cps, e[0], e[1]), e[2], e[3], e[4], Number(e[5]).toFixed(2), e[6], e[0] + ".." + e[1]].forEach(function (c) { tr.appendChild(el("td", null, c)); });
      t.appendChild(tr);
    });
    det.appendChild(t);
    return det;
  }
  function summary(cps, s) {
    var box = el("div", "summary"), fr = el("div", "fr"), en = el("div", "en");
    fr.appendChild(el("h4", null, "Résumé (fr)"));
    s.fr.forEach(function (sp) { fr.appendChild(el("p", null, slice(cps, sp[0], sp[1]))); });
    en.appendChild(el("h4", null, "English"));
    if (s.en_brief) { var b = el("p"); b.appendChild(el("strong", null, s.en_brief)); en.appendChild(b); }
    if (s.en) en.appendChild(el("p", null, s.en));
    if (s.translator) en.appendChild(el("p", "meta", "translator: " + s.translator));
    box.appendChild(fr);
    box.appendChild(en);
    return box;
  }
  function metaLine(d) {
    var m = el("div", "meta");
    m.appendChild(document.createTextNode([d.title ? d.id : "", d.date, d.source].filter(Boolean).join(" · ")));
    if (d.url) {
      var a = el("a", null, d.url);
      a.href = d.url;
      a.rel = "noopener noreferrer";
      m.appendChild(document.createTextNode(" · "));
      m.appendChild(a);
    }
    return m;
  }
  function renderDoc(d) {
    var cps = Array.from(d.text), art = el("article", "doc");
    art.appendChild(el("h3", null, d.title || d.id));
    art.appendChild(metaLine(d));
    if (d.summary) art.appendChild(summary(cps, d.summary));
    art.appendChild(highlighted(cps, d.ents));
    if (d.ents.length) art.appendChild(entityTable(cps, d.ents));
    return art;
  }
  function render() {
    var pages = Math.max(1, Math.ceil(state.hits.length / PAGE));
    state.page = Math.min(Math.max(state.page, 0), pages - 1);
    main.textContent = "";
    state.hits.slice(state.page * PAGE, (state.page + 1) * PAGE).forEach(function (d) { main.appendChild(renderDoc(d)); });
    document.getElementById("pageinfo").textContent =
      "page " + (state.page + 1) + " / " + pages + " (" + state.hits.length + " of " + docs.length + " documents)";
  }
  function blob(d) {
    if (d.blob === undefined) {
      d.blob = [d.id, d.title, d.date, d.source, d.text].concat(d.ents.map(function (e) { return e[2] + " " + e[3]; })).join(" ").toLowerCase();
    }
    return d.blob;
  }
  function filter() {
    var terms = state.q.toLowerCase().split(/\s+/).filter(Boolean);
    state.hits = docs.filter(function (d) {
      if (state.label && !d.ents.some(function (e) { return e[2] === state.label; })) return false;
      if (state.place && d.places.indexOf(state.place) < 0) return false;
      return terms.every(function (t) { return blob(d).indexOf(t) >= 0; });
    });
    state.page = 0;
    render();
  }
  var timer = null;
  document.getElementById("q").addEventListener("input", function (ev) {
    clearTimeout(timer);
    timer = setTimeout(function () { state.q = ev.target.value; filter(); }, 150);
  });
  document.getElementById("label").addEventListener("change", function (ev) { state.label = ev.target.value; filter(); });
  // map: a click on a dot keeps the documents naming that place; a second click or ✕ clears it
  var pf = document.getElementById("placefilter");
  function setPlace(key, name) {
    state.place = key;
    state.placeName = name;
    document.querySelectorAll("#mapsvg .dot").forEach(function (c) { c.classList.toggle("on", c.getAttribute("data-place") === key && key !== ""); });
    if (pf) {
      pf.textContent = "";
      pf.hidden = !key;
      if (key) {
        pf.appendChild(document.createTextNode("Documents naming " + name + " "));
        var x = el("button", null, "✕ all places");
        x.type = "button";
        x.addEventListener("click", function () { setPlace("", ""); });
        pf.appendChild(x);
      }
    }
    filter();
  }
  document.querySelectorAll("#mapsvg .dot").forEach(function (c) {
    function pick() {
      var key = c.getAttribute("data-place");
      var t = c.querySelector("title");
      setPlace(state.place === key ? "" : key, t ? t.textContent.split(" · ")[0] : key);
      var top = document.getElementById("controls");
      if (state.place && top) top.scrollIntoView();
    }
    c.addEventListener("click", pick);
    c.addEventListener("keydown", function (ev) { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); pick(); } });
  });
  document.getElementById("prev").addEventListener("click", function () { state.page -= 1; render(); });
  document.getElementById("next").addEventListener("click", function () { state.page += 1; render(); });

  function selftest() {
    var marks = {}, first = [];
    main.querySelectorAll("mark.ent").forEach(function (m) {
      var l = m.getAttribute("data-label");
      marks[l] = (marks[l] || 0) + 1;
      if (first.length < 200) first.push([m.textContent, l, m.title]);
    });
    var out = { docs: docs.length, shown: main.querySelectorAll("article.doc").length, marks: marks, first: first,
      summaries: main.querySelectorAll(".summary").length };
    var probe = docs.length && docs[0].ents.length ? slice(Array.from(docs[0].text), docs[0].ents[0][0], docs[0].ents[0][1]) : "";
    state.q = probe;
    filter();
    out.search = { q: probe, hits: state.hits.length };
    state.q = "";
    filter();
    var dots = document.querySelectorAll("#mapsvg .dot");
    out.map = { dots: dots.length, outlines: document.querySelectorAll("#mapsvg .land").length };
    if (dots.length) {
      dots[0].dispatchEvent(new MouseEvent("click", { bubbles: true }));
      var key = dots[0].getAttribute("data-place");
      out.map.click = { place: key, hits: state.hits.length,
        expected: docs.filter(function (d) { return d.places.indexOf(key) >= 0; }).length,
        shown: main.querySelectorAll("article.doc").length };
      setPlace("", "");
    }
    out.errors = errors;
    var pre = document.getElementById("selftest");
    pre.textContent = JSON.stringify(out);
  }

  render();
  if (location.hash === "#selftest") {
    try { selftest(); } catch (e) { errors.push(String(e)); document.getElementById("selftest").textContent = JSON.stringify({ errors: errors }); }
  }
})();
