/**
 * The dashboard page: one self-contained HTML document (inline CSS and script, charts drawn as
 * inline SVG), so nothing is built or fetched from elsewhere. The script opens an
 * `EventSource` on `<this path>/events` (forwarding a `?key=` it was opened with) and redraws
 * on every `snapshot` event. Every value from the server is set as text, never parsed as HTML.
 *
 * @since 0.1.0
 */
import { createHash } from "node:crypto"

const STYLE = `
:root{--bg:#0f1419;--card:#171d24;--line:#26303b;--text:#d8dee6;--dim:#8a96a3;--ok:#2fb170;--warn:#e0a530;--bad:#e5484d;--info:#4c9aff;--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
@media (prefers-color-scheme: light){:root{--bg:#f4f6f8;--card:#fff;--line:#e1e6eb;--text:#1c2630;--dim:#5f6b78}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--text);font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
header{display:flex;gap:12px;align-items:center;padding:12px 20px;border-bottom:1px solid var(--line);position:sticky;top:0;background:var(--bg);z-index:1}
header h1{font-size:16px;margin:0;font-weight:600}
header .meta{color:var(--dim);font-size:12px;margin-left:auto}
main{padding:16px 20px;display:grid;gap:16px}
.pill{font-size:12px;padding:2px 8px;border-radius:999px;border:1px solid var(--line);color:var(--dim)}
.pill.live{color:var(--ok);border-color:var(--ok)}
.pill.down{color:var(--bad);border-color:var(--bad)}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(160px,1fr));gap:12px}
.tile,.card{background:var(--card);border:1px solid var(--line);border-radius:8px}
.tile{padding:10px 14px}
.tile .v{font-size:24px;font-weight:600;font-variant-numeric:tabular-nums}
.tile .l{color:var(--dim);font-size:12px}
.tile[data-alert="1"] .v{color:var(--bad)}
.card{padding:12px 14px;min-width:0}
.card h2{font-size:13px;margin:0 0 10px;color:var(--dim);font-weight:600;text-transform:uppercase;letter-spacing:.04em}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:12px}
.charts svg{width:100%;height:130px;display:block}
.grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:16px}
.badge{display:inline-block;font-size:11px;font-weight:600;padding:1px 7px;border-radius:4px;text-transform:uppercase;letter-spacing:.03em;color:#fff}
.s-closed,.s-healthy,.s-success,.s-SUCCESS{background:var(--ok)}
.s-half_open,.s-cooling,.s-MITIGATED_SUCCESS,.s-skipped{background:var(--warn);color:#1c1c1c}
.s-open,.s-disabled,.s-failure,.s-FAILURE{background:var(--bad)}
.prov{border-top:1px solid var(--line);padding:8px 0}
.prov:first-child{border-top:0;padding-top:0}
.row{display:flex;gap:8px;align-items:center;flex-wrap:wrap}
.row .name{font-weight:600}
.dim{color:var(--dim);font-size:12px}
.models{display:flex;flex-wrap:wrap;gap:6px;margin:6px 0 0 14px}
.model{display:flex;gap:6px;align-items:center;border:1px solid var(--line);border-radius:6px;padding:2px 6px;font-family:var(--mono);font-size:12px}
table{width:100%;border-collapse:collapse;font-size:12.5px}
th{text-align:left;color:var(--dim);font-weight:500;border-bottom:1px solid var(--line);padding:4px 6px;white-space:nowrap}
td{border-bottom:1px solid var(--line);padding:5px 6px;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.mono{font-family:var(--mono);font-size:12px}
.pool{margin-bottom:12px}
.pool h3{font-size:13px;margin:0 0 4px}
.bar{display:inline-block;width:60px;height:6px;background:var(--line);border-radius:3px;vertical-align:middle;overflow:hidden}
.bar i{display:block;height:100%;background:var(--warn)}
.trail{display:flex;flex-wrap:wrap;gap:4px}
.step{font-family:var(--mono);font-size:11px;border-radius:4px;padding:1px 6px;border:1px solid var(--line);white-space:nowrap}
.step.success{border-color:var(--ok)}
.step.failure{border-color:var(--bad)}
.step.skipped{border-color:var(--warn);border-style:dashed}
.arrow{color:var(--dim);font-size:11px}
.empty{color:var(--dim);font-style:italic;padding:6px 0}
.err{color:var(--bad);font-size:12px}
.big{font-size:24px;font-weight:600;font-variant-numeric:tabular-nums;margin-right:6px}
svg text{fill:var(--dim);font-size:10px;font-family:system-ui,sans-serif}
svg .grid{stroke:var(--line);stroke-width:1}
`

const SCRIPT = `"use strict";
(function () {
  var $ = function (id) { return document.getElementById(id) };
  var SVG = "http://www.w3.org/2000/svg";
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) if (attrs[k] !== undefined && attrs[k] !== null) e.setAttribute(k, String(attrs[k]));
    (children || []).forEach(function (c) { if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c)) });
    return e;
  }
  function svg(tag, attrs) {
    var e = document.createElementNS(SVG, tag);
    for (var k in attrs) e.setAttribute(k, String(attrs[k]));
    return e;
  }
  function badge(status) { return el("span", { "class": "badge s-" + status }, [status.replace("_", "-")]) }
  function pct(x) { return x === null ? "—" : (x * 100).toFixed(x > 0 && x < 0.1 ? 1 : 0) + "%" }
  function secs(ms) { return ms >= 60000 ? Math.round(ms / 60000) + " min" : Math.max(0, Math.ceil(ms / 1000)) + " s" }
  function time(at) { var d = new Date(at); return d.toLocaleTimeString([], { hour12: false }) }

  var params = new URLSearchParams(location.search);
  var key = params.get("key");
  var base = location.pathname.replace(/\\/+$/, "");
  var url = base + "/events" + (key ? "?key=" + encodeURIComponent(key) : "");
  var skew = 0;
  var last = null;

  function sum(values, last) {
    var s = 0;
    for (var i = Math.max(0, values.length - last); i < values.length; i++) s += values[i];
    return s;
  }

  function tiles(s) {
    var r = s.rates;
    var minute = Math.max(1, Math.round(60000 / r.bucketMs)), five = Math.max(1, Math.round(300000 / r.bucketMs));
    var reqMin = sum(r.requests, minute), req5 = sum(r.requests, five);
    $("t-rps").textContent = (reqMin / 60).toFixed(reqMin / 60 >= 10 ? 0 : 2);
    $("t-success").textContent = pct(req5 ? sum(r.succeeded, five) / req5 : null);
    $("t-failover").textContent = pct(req5 ? sum(r.failedOver, five) / req5 : null);
    var open = s.breakers.filter(function (x) { return x.status === "open" }).length;
    $("t-open").textContent = String(open);
    $("t-open").parentNode.setAttribute("data-alert", open > 0 ? "1" : "0");
    var healthy = s.keys.filter(function (k) { return k.status === "healthy" }).length;
    $("t-keys").textContent = healthy + " / " + s.keys.length;
  }

  function chart(id, values, opts) {
    // Drawn at the box's own width so text and bars keep their proportions; redrawn with every snapshot.
    var host = $(id), W = Math.max(240, Math.round(host.clientWidth || 600)), H = 130, L = 34, R = 6, T = 8, B = 18;
    var g = svg("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": opts.label });
    var max = opts.max;
    if (max === undefined) {
      max = 0;
      values.forEach(function (v) { if (v !== null && v > max) max = v });
      max = max <= 0 ? 1 : Math.pow(10, Math.floor(Math.log10(max))) * Math.ceil(max / Math.pow(10, Math.floor(Math.log10(max))));
    }
    var n = values.length, w = (W - L - R) / n;
    var y = function (v) { return T + (H - T - B) * (1 - v / max) };
    [0, 0.5, 1].forEach(function (f) {
      g.append(svg("line", { x1: L, x2: W - R, y1: y(max * f), y2: y(max * f), "class": "grid" }));
      var t = svg("text", { x: L - 4, y: y(max * f) + 3, "text-anchor": "end" });
      t.textContent = opts.format(max * f);
      g.append(t);
    });
    [["-10 min", 0], ["-5 min", n / 2], ["now", n]].forEach(function (p) {
      var t = svg("text", { x: L + p[1] * w, y: H - 4, "text-anchor": p[1] === 0 ? "start" : p[1] === n ? "end" : "middle" });
      t.textContent = p[0];
      g.append(t);
    });
    if (opts.bars) {
      values.forEach(function (v, i) {
        if (!v) return;
        g.append(svg("rect", { x: L + i * w + 0.5, y: y(v), width: Math.max(1, w - 1), height: y(0) - y(v), fill: opts.color }));
      });
    } else {
      var d = "", pen = false;
      values.forEach(function (v, i) {
        if (v === null) { pen = false; return }
        d += (pen ? "L" : "M") + (L + i * w + w / 2).toFixed(1) + " " + y(v).toFixed(1);
        pen = true;
      });
      g.append(svg("path", { d: d, fill: "none", stroke: opts.color, "stroke-width": 2, "stroke-linejoin": "round" }));
      values.forEach(function (v, i) {
        if (v !== null) g.append(svg("circle", { cx: L + i * w + w / 2, cy: y(v), r: 1.6, fill: opts.color }));
      });
    }
    host.replaceChildren(g);
  }

  function charts(s) {
    var r = s.rates, sec = r.bucketMs / 1000;
    chart("c-rps", r.requests.map(function (n) { return n / sec }), { label: "requests per second", bars: true, color: "var(--info)", format: function (v) { return v >= 10 ? v.toFixed(0) : v.toFixed(1) } });
    var rate = function (values) { return values.map(function (v, i) { return r.requests[i] ? v / r.requests[i] : null }) };
    chart("c-success", rate(r.succeeded), { label: "success rate", max: 1, color: "var(--ok)", format: function (v) { return Math.round(v * 100) + "%" } });
    chart("c-failover", rate(r.failedOver), { label: "failover rate", max: 1, color: "var(--warn)", format: function (v) { return Math.round(v * 100) + "%" } });
  }

  function untilText(b, now) {
    if (b.status !== "open" || b.openUntil === undefined) return null;
    var left = b.openUntil - now;
    return el("span", { "class": "dim" }, [left > 0 ? "probe in " + secs(left) : "probe due"]);
  }

  function breakers(s) {
    var now = Date.now() + skew;
    var ids = s.providers.map(function (p) { return p.id });
    s.breakers.forEach(function (b) { if (ids.indexOf(b.provider) < 0) ids.push(b.provider) });
    var out = ids.map(function (id) {
      var p = s.providers.find(function (x) { return x.id === id }) || { id: id, kind: "", models: [] };
      var circuit = s.breakers.find(function (b) { return b.provider === id && b.model === undefined }) || { status: "closed" };
      var models = p.models.slice();
      s.breakers.forEach(function (b) { if (b.provider === id && b.model !== undefined && models.indexOf(b.model) < 0) models.push(b.model) });
      return el("div", { "class": "prov" }, [
        el("div", { "class": "row breaker", "data-testid": "breaker", "data-scope": "provider", "data-provider": id, "data-status": circuit.status }, [
          el("span", { "class": "name" }, [id]),
          p.kind ? el("span", { "class": "dim" }, [p.kind]) : null,
          badge(circuit.status),
          untilText(circuit, now),
          p.budget !== undefined ? el("span", { "class": "dim" }, ["retry budget " + (Math.round(p.budget * 10) / 10)]) : null
        ]),
        models.length ? el("div", { "class": "models" }, models.map(function (m) {
          var c = s.breakers.find(function (b) { return b.provider === id && b.model === m }) || { status: "closed" };
          return el("span", { "class": "model breaker", "data-testid": "breaker", "data-scope": "model", "data-provider": id, "data-model": m, "data-status": c.status }, [m, badge(c.status), untilText(c, now)]);
        })) : null
      ]);
    });
    $("breakers").replaceChildren.apply($("breakers"), out.length ? out : [el("div", { "class": "empty" }, ["no providers"])]);
  }

  function keys(s) {
    var now = Date.now() + skew;
    var pools = {};
    s.keys.forEach(function (k) { (pools[k.provider] = pools[k.provider] || []).push(k) });
    var out = Object.keys(pools).map(function (provider) {
      var rows = pools[provider].map(function (k) {
        var notes = [];
        if (k.disabledReason) notes.push(k.disabledReason);
        if (k.availableAt !== undefined && k.availableAt > now) notes.push("available in " + secs(k.availableAt - now));
        if (k.coolingModels) Object.keys(k.coolingModels).forEach(function (m) {
          if (k.coolingModels[m] > now) notes.push(m + " cooling " + secs(k.coolingModels[m] - now));
        });
        return el("tr", { "data-testid": "key", "data-provider": provider, "data-key": k.id, "data-status": k.status }, [
          el("td", { "class": "mono" }, [k.id]),
          el("td", { "class": "mono dim" }, [k.fingerprint]),
          el("td", null, [badge(k.status)]),
          el("td", { "class": "num" }, [el("span", { "class": "bar", title: String((k.penalty || 0)) }, [el("i", { style: "width:" + Math.min(100, Math.round((k.penalty || 0) * 100)) + "%" })]), " ", (Math.round((k.penalty || 0) * 100) / 100).toFixed(2)]),
          el("td", { "class": "num" }, [k.leases == null ? "–" : k.leases]),
          el("td", { "class": "num" }, [k.failures == null ? "–" : k.failures]),
          el("td", { "class": "dim" }, [notes.join("; ")])
        ]);
      });
      return el("div", { "class": "pool" }, [
        el("h3", null, [provider]),
        el("table", null, [
          el("thead", null, [el("tr", null, ["key", "fingerprint", "status", "penalty", "leases", "failures", ""].map(function (h) { return el("th", null, [h]) }))]),
          el("tbody", null, rows)
        ])
      ]);
    });
    $("keys").replaceChildren.apply($("keys"), out.length ? out : [el("div", { "class": "empty" }, ["no keys"])]);
  }

  function step(a) {
    var bits = [a.provider + "/" + a.model];
    if (a.keyId) bits.push(a.keyId + (a.keyFingerprint ? " " + a.keyFingerprint : ""));
    if (a.outcome === "skipped") bits.push("skipped" + (a.skipped ? " " + a.skipped : ""));
    else if (a.outcome === "failure") bits.push((a.class || "failure") + (a.status ? " " + a.status : ""));
    else bits.push("ok");
    if (a.outcome !== "skipped") bits.push(Math.round(a.latencyMs) + " ms");
    if (a.mitigated) bits.push("rewritten");
    return el("span", { "class": "step " + a.outcome }, [bits.join(" · ")]);
  }

  function ledger(s) {
    var box = $("ledger");
    if (!s.ledger.available) { box.replaceChildren(el("div", { "class": "empty" }, ["no ledger store configured"])); return }
    var rows = s.ledger.entries.map(function (e) {
      var trail = [];
      e.attempts.forEach(function (a, i) { if (i) trail.push(el("span", { "class": "arrow" }, ["→"])); trail.push(step(a)) });
      return el("tr", { "data-testid": "ledger-entry", "data-request-id": e.requestId, "data-outcome": e.outcome }, [
        el("td", { "class": "mono dim" }, [time(e.finishedAt)]),
        el("td", { "class": "num dim" }, ["#" + e.seq]),
        el("td", { "class": "mono" }, [e.requestId]),
        el("td", null, [e.route]),
        el("td", null, [badge(e.outcome), e.failureCode ? el("div", { "class": "dim" }, [e.failureCode]) : null, e.streamCut ? el("div", { "class": "dim" }, ["stream cut"]) : null]),
        el("td", { "class": "mono" }, [e.provider ? e.provider + "/" + (e.model || "") : "—"]),
        el("td", { "class": "num" }, [Math.round(e.latencyMs) + " ms"]),
        el("td", { "class": "num" }, [e.apiCalls]),
        el("td", null, [el("div", { "class": "trail" }, trail)])
      ]);
    });
    var parts = [];
    if (s.ledger.error) parts.push(el("div", { "class": "err" }, [s.ledger.error]));
    parts.push(rows.length
      ? el("table", null, [
          el("thead", null, [el("tr", null, ["finished", "seq", "request", "route", "outcome", "served by", "latency", "calls", "attempt trail"].map(function (h) { return el("th", null, [h]) }))]),
          el("tbody", null, rows)
        ])
      : el("div", { "class": "empty" }, ["no requests yet"]));
    box.replaceChildren.apply(box, parts);
  }

  function cache(s) {
    var box = $("cache"), c = s.cache;
    if (c === undefined) { box.replaceChildren(el("div", { "class": "empty" }, ["admin key only (every workspace's traffic)"])); return }
    if (!c.available) { box.replaceChildren(el("div", { "class": "empty" }, ["no response cache"])); return }
    var parts = [
      el("div", { "class": "row" }, [
        el("span", { "class": "big", id: "cache-hit-rate", "data-testid": "cache-hit-rate" }, [pct(c.hitRate === undefined ? null : c.hitRate)]),
        el("span", { "class": "dim" }, ["hit rate"])
      ]),
      el("div", { "class": "dim", "data-testid": "cache-counts" }, [
        "hits " + c.hits + " · misses " + c.misses + " · bypassed " + c.bypassed + " · coalesced " + c.coalesced
      ])
    ];
    if (c.hits + c.misses === 0) parts.push(el("div", { "class": "empty" }, ["no cacheable requests yet (cache.routes opts routes in)"]));
    box.replaceChildren.apply(box, parts);
  }

  function idempotency(s) {
    var box = $("idempotency"), i = s.idempotency;
    if (!i || !i.available) { box.replaceChildren(el("div", { "class": "empty" }, ["no idempotency service"])); return }
    var now = Date.now() + skew;
    var head = el("div", { "class": "row" }, [
      el("span", { "class": "big", "data-testid": "idempotency-count" }, [i.count]),
      el("span", { "class": "dim" }, [(i.count === 1 ? "key" : "keys") + " in flight" + (i.count > i.inFlight.length ? " · newest " + i.inFlight.length + " shown" : "")])
    ]);
    if (!i.inFlight.length) { box.replaceChildren(head); return }
    var rows = i.inFlight.map(function (h) {
      return el("tr", { "data-testid": "idempotency-key", "data-workspace": h.workspace }, [
        el("td", { "class": "mono" }, [h.key]),
        el("td", null, [h.workspace]),
        el("td", { "class": "num dim" }, [secs(now - h.since)])
      ]);
    });
    box.replaceChildren(head, el("table", null, [
      el("thead", null, [el("tr", null, ["Idempotency-Key", "workspace", "held for"].map(function (h) { return el("th", null, [h]) }))]),
      el("tbody", null, rows)
    ]));
  }

  function render(s) {
    last = s;
    skew = s.at - Date.now();
    tiles(s); charts(s); breakers(s); keys(s); cache(s); idempotency(s); ledger(s);
    var g = s.gateway;
    $("meta").textContent = "updated " + time(s.at) + (g.inFlight !== undefined ? " · in flight " + g.inFlight : "") + " · viewers " + s.viewers + (g.draining ? " · draining" : "");
    document.body.setAttribute("data-updated", String(s.at));
  }

  function status(text, cls) { var c = $("conn"); c.textContent = text; c.className = "pill " + (cls || "") }

  var source = null;
  function connect() {
    source = new EventSource(url);
    source.addEventListener("open", function () { status("live", "live") });
    source.addEventListener("snapshot", function (e) {
      try { render(JSON.parse(e.data)) } catch (err) { status("bad snapshot", "down"); console.error(err) }
    });
    source.addEventListener("error", function () {
      if (source.readyState === EventSource.CLOSED) {
        // The server refused the stream (a wrong or missing ?key=, or it is gone): retry slowly.
        status(key === null ? "disconnected (a gateway key may be needed: /dashboard?key=…)" : "disconnected", "down");
        source.close();
        setTimeout(connect, 5000);
      } else status("reconnecting…", "down");
    });
  }
  // Countdowns tick between snapshots.
  setInterval(function () { if (last) { breakers(last); keys(last); idempotency(last) } }, 1000);
  connect();
})();
`

/** The page's script digest for its Content-Security-Policy (only this inline script may run). */
const scriptHash = createHash("sha256").update(SCRIPT, "utf8").digest("base64")

/** The Content-Security-Policy of the page: its own inline style and script, SSE to itself, nothing else. */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  `script-src 'sha256-${scriptHash}'`,
  "style-src 'unsafe-inline'",
  "connect-src 'self'",
  "img-src data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'"
].join("; ")

/** The whole page. */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Adaptive Mind · gateway dashboard</title>
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>Adaptive Mind · gateway</h1>
  <span id="conn" class="pill">connecting…</span>
  <span id="meta" class="meta"></span>
</header>
<main>
  <section class="tiles">
    <div class="tile"><div class="v" id="t-rps">—</div><div class="l">requests/s · last minute</div></div>
    <div class="tile"><div class="v" id="t-success">—</div><div class="l">success rate · last 5 min</div></div>
    <div class="tile"><div class="v" id="t-failover">—</div><div class="l">failover rate · last 5 min</div></div>
    <div class="tile"><div class="v" id="t-open">—</div><div class="l">open circuits</div></div>
    <div class="tile"><div class="v" id="t-keys">—</div><div class="l">healthy keys</div></div>
  </section>
  <section class="charts">
    <div class="card"><h2>Requests/s</h2><div id="c-rps"></div></div>
    <div class="card"><h2>Success rate</h2><div id="c-success"></div></div>
    <div class="card"><h2>Failover rate</h2><div id="c-failover"></div></div>
  </section>
  <section class="grid2">
    <div class="card"><h2>Circuit breakers</h2><div id="breakers"><div class="empty">waiting for the first snapshot…</div></div></div>
    <div class="card"><h2>Key pools</h2><div id="keys"><div class="empty">waiting for the first snapshot…</div></div></div>
  </section>
  <section class="grid2">
    <div class="card"><h2>Cache</h2><div id="cache"><div class="empty">waiting for the first snapshot…</div></div></div>
    <div class="card"><h2>Idempotency in flight</h2><div id="idempotency"><div class="empty">waiting for the first snapshot…</div></div></div>
  </section>
  <section class="card"><h2>Recent requests · ledger</h2><div id="ledger"><div class="empty">waiting for the first snapshot…</div></div></section>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`
