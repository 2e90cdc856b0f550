// gongwen search widget: <script src="https://search.example/widget.js" data-gongwen-filter-issuer="…"></script>
// renders a search box and results right after the script tag, inside a shadow root (no CSS leaks either
// way), calling the JSON API of the server the script came from. Results are built with textContent;
// the only HTML taken from the API is the snippet, and of that only text and <mark> survive.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src || !window.fetch || !document.body.attachShadow) { return; }

  var base = new URL(".", script.src);            // the app's root, wherever it is mounted
  var apiOrigin = base.origin;
  var FILTERS = ["issuer", "year", "category", "doc_type"];
  var filters = {};
  FILTERS.forEach(function (name) {
    var value = script.getAttribute("data-gongwen-filter-" + name.replace("_", "-"));
    if (value) { filters[name] = value; }
  });
  var perPage = parseInt(script.getAttribute("data-gongwen-per-page") || "5", 10);
  if (!(perPage >= 1 && perPage <= 50)) { perPage = 5; }
  var token = script.getAttribute("data-gongwen-token");
  var placeholder = script.getAttribute("data-gongwen-placeholder") || "检索公文";

  var host = document.createElement("div");
  host.className = "gongwen-widget";
  script.parentNode.insertBefore(host, script.nextSibling);
  var root = host.attachShadow({ mode: "open" });

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  var style = el("link");
  style.rel = "stylesheet";
  style.href = new URL("static/widget.css", base).href;
  root.appendChild(style);

  var box = el("div", "gw");
  var form = el("form", "gw-form");
  form.setAttribute("role", "search");
  var input = el("input", "gw-input");
  input.type = "search";
  input.name = "q";
  input.maxLength = 256;
  input.placeholder = placeholder;
  input.setAttribute("aria-label", placeholder);
  var button = el("button", "gw-button", "检索");
  button.type = "submit";
  form.appendChild(input);
  form.appendChild(button);
  var status = el("p", "gw-status");
  status.setAttribute("aria-live", "polite");
  var list = el("ol", "gw-results");
  var more = el("a", "gw-more", "在公文检索中查看全部结果");
  more.target = "_blank";
  more.rel = "noopener";
  more.hidden = true;
  box.appendChild(form);
  box.appendChild(status);
  box.appendChild(list);
  box.appendChild(more);
  root.appendChild(box);

  // Only links back to the server the widget came from, and only http(s): never javascript: or data:.
  function safeUrl(value) {
    try {
      var url = new URL(value, base);
      if ((url.protocol === "http:" || url.protocol === "https:") && url.origin === apiOrigin) { return url.href; }
    } catch (e) { /* fall through */ }
    return null;
  }

  // The snippet is HTML (escaped text with <mark>); parse it inertly and keep only text and marks.
  function snippetNodes(html) {
    var doc = new DOMParser().parseFromString("<body>" + String(html || "") + "</body>", "text/html");
    var out = document.createDocumentFragment();
    Array.prototype.forEach.call(doc.body.childNodes, function (node) {
      if (node.nodeType === 1 && node.nodeName === "MARK") {
        out.appendChild(el("mark", null, node.textContent));
      } else {
        out.appendChild(document.createTextNode(node.textContent || ""));
      }
    });
    return out;
  }

  function params(q) {
    var p = new URLSearchParams();
    p.set("q", q);
    p.set("per_page", String(perPage));
    FILTERS.forEach(function (name) { if (filters[name]) { p.set(name, filters[name]); } });
    return p;
  }

  function render(data, q) {
    while (list.firstChild) { list.removeChild(list.firstChild); }
    status.textContent = data.total ? "共 " + data.total + " 条结果" : "没有找到“" + q + "”相关的公文";
    (data.results || []).forEach(function (hit) {
      var item = el("li", "gw-hit");
      var href = safeUrl(hit.url);
      var title = el(href ? "a" : "span", "gw-title", hit.title || hit.filename || "（无标题）");
      if (href) { title.href = href + (q ? "?q=" + encodeURIComponent(q) : ""); title.target = "_blank"; title.rel = "noopener"; }
      item.appendChild(title);
      var meta = el("div", "gw-meta");
      [hit.doc_number, hit.issuer, hit.date].forEach(function (part) {
        if (part) { meta.appendChild(el("span", "gw-meta-item", part)); }
      });
      if (hit.category) { meta.appendChild(el("span", "gw-badge", hit.category + "类")); }
      item.appendChild(meta);
      if (hit.snippet) {
        var snippet = el("p", "gw-snippet");
        snippet.appendChild(snippetNodes(hit.snippet));
        item.appendChild(snippet);
      }
      list.appendChild(item);
    });
    more.hidden = !(data.total > (data.results || []).length);
    more.href = new URL("?" + params(q).toString().replace(/(^|&)per_page=\d+/, ""), base).href;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var q = input.value.trim();
    status.textContent = "检索中…";
    var headers = { "Accept": "application/json" };
    if (token) { headers.Authorization = "Bearer " + token; }
    fetch(new URL("api/search?" + params(q).toString(), base).href,
          { headers: headers, mode: "cors", credentials: "omit" })
      .then(function (response) {
        return response.json().then(function (data) {
          if (!response.ok) { throw new Error((data.error && data.error.message) || response.status); }
          return data;
        });
      })
      .then(function (data) { render(data, q); })
      .catch(function (error) { status.textContent = "检索失败：" + error.message; });
  });
})();
