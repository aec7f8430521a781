/**
 * The page's DOM helpers: elements from plain data (text always as text nodes, never HTML), the flash line,
 * errors shown beside a form or in the flash (and worded again when the language changes), busy forms.
 */
import { errorText, type ShownError } from './i18n.js';

/** The element a selector names; the page's own markup (index.html) holds it, so it is there. */
export function $<E extends Element = HTMLElement>(sel: string, el: ParentNode = document): E {
  const found = el.querySelector<E>(sel);
  if (!found) throw new Error(`staff page: ${sel} is missing`);
  return found;
}

/** A form's control by name. */
export const field = <E extends Element = HTMLInputElement>(form: HTMLFormElement, name: string): E => form.elements.namedItem(name) as unknown as E;

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | ((ev: Event) => unknown)>;

/** h('a', {href: '#'}, 'text', child…): elements from plain data; strings become text nodes. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Child | Child[])[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== undefined && c !== null && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

/** The error each shown message words, so that a change of language words it again. */
const errorSources = new WeakMap<Element, ShownError>();
export const errorSourceOf = (el: Element): ShownError | undefined => errorSources.get(el);
export const rememberError = (el: Element, err: ShownError | null): void => {
  if (err) errorSources.set(el, err);
  else errorSources.delete(el);
};

let flashTimer: ReturnType<typeof setTimeout> | undefined;
export function flash(text: string, bad = false): void {
  const el = $('#flash');
  rememberError(el, null);
  el.textContent = text;
  el.classList.toggle('bad', bad);
  el.hidden = false;
  clearTimeout(flashTimer);
  flashTimer = setTimeout(() => (el.hidden = true), bad ? 7000 : 3500);
}

/**
 * Shows an error: in the form's error line, naming and focusing the field; in a dialog (long forms, whose
 * error line may be far below) also right under that field, which is scrolled into view — or as a flash message.
 */
export function showError(err: ShownError & { field?: string }, target?: HTMLElement): void {
  if (target) {
    setError(target, err);
    const form = target.closest('form');
    if (form) {
      clearFieldErrors(form);
      const named = err.field && form.elements.namedItem(err.field === 'at' ? 'date' : err.field);
      if (named instanceof HTMLElement) {
        named.setAttribute('aria-invalid', 'true');
        if (!form.closest('dialog')) return named.focus(); // a short form: its error line is in sight
        const note = h('small', { class: 'error field-error', id: `${named.id || `${form.id}-${err.field}`}-error`, role: 'alert' }, errorText(err));
        rememberError(note, err);
        named.after(note);
        named.setAttribute('aria-describedby', note.id);
        named.scrollIntoView({ block: 'center' });
        named.focus({ preventScroll: true });
      }
    }
  } else {
    flash(errorText(err), true);
    rememberError($('#flash'), err);
  }
}

/** Shows an error in its place, remembering it so that a change of language words it again. */
export function setError(target: HTMLElement, err: ShownError): void {
  rememberError(target, err);
  target.textContent = errorText(err);
  target.hidden = false;
}

/** The errors on screen, in the language just chosen. */
export function retranslateErrors(): void {
  for (const el of document.querySelectorAll<HTMLElement>('.error, #flash')) {
    const err = errorSources.get(el);
    if (!el.hidden && err) el.textContent = errorText(err);
  }
}

export function clearError(target: HTMLElement): void {
  rememberError(target, null);
  target.hidden = true;
  target.textContent = '';
  const form = target.closest('form');
  if (form) clearFieldErrors(form);
}

/** A form's fields no longer marked invalid, their notes gone. */
function clearFieldErrors(form: HTMLFormElement): void {
  for (const el of form.querySelectorAll('[aria-invalid]')) {
    el.removeAttribute('aria-invalid');
    el.removeAttribute('aria-describedby');
  }
  for (const el of form.querySelectorAll('.field-error')) el.remove();
}

/** A random key for one request meant to happen once (Idempotency-Key). crypto.randomUUID needs HTTPS; this does not. */
export function requestKey(): string {
  return [...window.crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** An answer that says the request's key was used for another request: a new key for the next attempt. */
export function renewKeyIfReused(err: { reason?: string }, form: HTMLFormElement): void {
  if (err.reason === 'idempotency-key-reused') form.dataset.requestKey = requestKey();
}

/**
 * Runs a form's request one at a time: its submit buttons are disabled and the form is aria-busy until the
 * answer arrives, so a double click (or an impatient one on a slow link) does not send it twice.
 */
export async function whileBusy<T>(form: HTMLFormElement, work: () => Promise<T>): Promise<T | undefined> {
  if (form.getAttribute('aria-busy') === 'true') return undefined;
  const buttons = [...form.querySelectorAll<HTMLButtonElement>('button[type="submit"]')];
  form.setAttribute('aria-busy', 'true');
  for (const b of buttons) b.disabled = true;
  try {
    return await work();
  } finally {
    form.removeAttribute('aria-busy');
    for (const b of buttons) b.disabled = false;
  }
}

/** A dialog's form (#<id>) made fresh: its fields reset, its error line (#<id>-error) cleared. */
export function freshForm(id: string): HTMLFormElement {
  const form = $<HTMLFormElement>(`#${id}`);
  form.reset();
  clearError($(`#${id}-error`));
  return form;
}

/** A modal dialog of the page's markup, by id. */
export const dialog = (id: string): HTMLDialogElement => $<HTMLDialogElement>(`#${id}`);

/**
 * Asks before something that cannot be undone (revoke, reset, remove), in the page: the buttons say what they do
 * ("Revogar" / "Voltar"), the safe one has the focus. true when the person chose to go on.
 */
export function ask(text: string, yes: string): Promise<boolean> {
  const d = dialog('ask-dialog');
  $('#ask-text').textContent = text;
  $('#ask-yes').textContent = yes;
  d.returnValue = '';
  d.showModal();
  $('#ask-no').focus();
  return new Promise((resolve) => d.addEventListener('close', () => resolve(d.returnValue === 'yes'), { once: true }));
}
