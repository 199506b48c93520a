/* Times on the pages arrive as <time datetime="…Z">…UTC</time>; show them in the browser's own zone, named. */
(function () {
  var format = new Intl.DateTimeFormat(undefined, {
    day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit",
    hourCycle: "h23", timeZoneName: "short"
  });
  document.querySelectorAll("time[datetime]").forEach(function (node) {
    var at = new Date(node.getAttribute("datetime"));
    if (isNaN(at.getTime())) return;
    node.title = node.textContent;
    node.textContent = format.format(at);
  });
})();
