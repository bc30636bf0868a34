// DOM helpers shared by every page. Rules: text goes in through textContent only, never parsed as
// HTML (device names, notes and error messages come from users and devices); a value shown as text
// keeps its raw number in data-value, for tests and for anyone copying values.

/** The first element matching `selector` (in `root`, the document by default). */
export const $ = (selector, root = document) => root.querySelector(selector);

/**
 * A new element. attrs: `text` (textContent), `className`, anything else an attribute; undefined and
 * null values are left out. children: nodes or strings (as text).
 */
export function el(tag, attrs, children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null) continue;
    if (k === 'text') node.textContent = v;
    else if (k === 'className') node.className = v;
    else node.setAttribute(k, v);
  }
  for (const c of children || []) node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
  return node;
}

/** Shows `text` in `node` and keeps the raw `value` in its data-value ('' when unknown). */
export function setField(node, text, value) {
  node.textContent = text;
  node.dataset.value = value === null || value === undefined ? '' : String(value);
}
