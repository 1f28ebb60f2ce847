// A tiny element builder: h('button', { class: 'primary', onclick: go }, 'Send').

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else if (name === 'text') el.textContent = value;
    else if (name in el && !name.includes('-') && name !== 'list') el[name] = value;
    else el.setAttribute(name, value === true ? '' : value);
  }
  el.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

/** A labelled form field: the label wraps nothing, it names the control by id. */
export function field(label, control, hint) {
  control.id ||= `f-${Math.random().toString(36).slice(2, 9)}`;
  return h('div', { class: 'field' }, h('label', { for: control.id, text: label }), control, hint);
}

/** A <select> of [value, text] pairs. */
export function select(attrs, options, chosen = '') {
  return h(
    'select',
    attrs,
    options.map(([value, text]) => h('option', { value, text, selected: value === chosen })),
  );
}

/** Replace the children of `el`. */
export function fill(el, ...children) {
  el.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}
