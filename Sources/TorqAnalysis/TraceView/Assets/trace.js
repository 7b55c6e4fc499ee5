// Hovering a span's row of the waterfall shows its details (the SVG's <title>,
// which stays the fallback without scripts) in a box that follows the pointer.
// The text goes in through textContent only.
(function () {
  var tip = document.getElementById('tip');
  if (!tip) return;
  document.querySelectorAll('g.span').forEach(function (g) {
    var t = g.querySelector('title');
    if (!t) return;
    g.dataset.tip = t.textContent;
    t.remove();
    g.addEventListener('mousemove', function (ev) {
      tip.textContent = g.dataset.tip;
      tip.hidden = false;
      var x = ev.clientX + 14, y = ev.clientY + 14;
      if (x + tip.offsetWidth > window.innerWidth) x = Math.max(0, ev.clientX - tip.offsetWidth - 14);
      if (y + tip.offsetHeight > window.innerHeight) y = Math.max(0, ev.clientY - tip.offsetHeight - 14);
      tip.style.left = x + 'px';
      tip.style.top = y + 'px';
    });
    g.addEventListener('mouseleave', function () { tip.hidden = true; });
  });
})();
