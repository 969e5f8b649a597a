// The only way the console makes DOM: elements built one by one, attributes set by name, and every
// piece of text added as a text node. Nothing is ever parsed as HTML, so a reason, ticket or comment
// that holds markup shows as that markup. Event handlers are functions, never attribute strings;
// links point within the page (or at a downloaded blob), never at a URL that came from data.
export type Child = Node | string | number | false | null | undefined | readonly Child[];

type Handlers = { readonly [K in keyof HTMLElementEventMap]?: (event: HTMLElementEventMap[K]) => void };
export type Attrs = { readonly [name: string]: string | number | boolean | undefined | Handlers; readonly on?: Handlers };

/** Attributes that would run or style something: refused, whatever their value. */
const FORBIDDEN = /^(on|style$|srcdoc$|formaction$|action$)/i;
/** `href` may name a place in the page or a blob this page made. */
const SAFE_HREF = /^(#|blob:)/;

function setAttributes(el: Element, attrs: Attrs): void {
  for (const [name, value] of Object.entries(attrs)) {
    if (name === 'on') {
      for (const [event, handler] of Object.entries(value as Handlers)) el.addEventListener(event, handler as EventListener);
      continue;
    }
    if (FORBIDDEN.test(name)) throw new Error(`the console never sets the ${name} attribute`);
    if (value === false || value === undefined) continue;
    const text = value === true ? '' : String(value);
    if ((name === 'href' || name === 'xlink:href') && !SAFE_HREF.test(text)) throw new Error(`the console links within itself only, not to ${text}`);
    el.setAttribute(name, text);
  }
}

function appendChildren(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === false || child === null || child === undefined) continue;
    if (Array.isArray(child)) appendChildren(parent, child);
    else parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** An HTML element with attributes and children; strings become text. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  setAttributes(el, attrs);
  appendChildren(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** An SVG element, by the same rules. */
export function s<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  setAttributes(el, attrs);
  appendChildren(el, children);
  return el;
}

/** Replaces what `parent` shows. */
export function show(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  appendChildren(parent, children);
}

/** A place in the page for a view: `#/images/<region>/<image>`, each part encoded. */
export const link = (...parts: readonly string[]): string => `#/${parts.map(encodeURIComponent).join('/')}`;
