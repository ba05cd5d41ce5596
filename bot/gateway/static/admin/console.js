// Keyboard shortcuts of the console: a key clicks the element of the page that names it in
// data-shortcut (r = 标记为已看, n = 下一个没看的). Never while typing in a field, never with Ctrl, Alt or
// Cmd (Ctrl+R still reloads), never while an input method is composing a character.
"use strict";

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.altKey || event.metaKey || event.isComposing || event.repeat) return;
  if (!/^[a-z]$/.test(event.key)) return;
  const target = event.target;
  if (target instanceof Element && target.closest("input, textarea, select, [contenteditable]")) return;
  const element = document.querySelector(`[data-shortcut="${event.key}"]`);
  if (!element) return;
  event.preventDefault();
  element.click();
});
