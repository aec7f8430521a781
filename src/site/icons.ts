/** Inline SVG icons (decorative: the text next to them says the same thing). No icon font, no requests. */
import { Html } from './render.js';

const svg = (body: string, extra = '') =>
  Html.trusted(
    `<svg class="icon" viewBox="0 0 24 24" width="24" height="24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false"${extra}>${body}</svg>`,
  );

/** A molar, filled: the brand mark when the clinic has no logo, the favicon and the hero picture. */
export const TOOTH_PATH =
  'M7.2 2.5C4.6 2.5 2.6 4.6 2.6 7.3c0 2.2.8 3.8 1.5 5.4.7 1.7 1 3.6 1.3 6 .3 2.4 1.1 3.8 2.3 3.8 1.4 0 1.8-1.7 2.2-3.8.4-1.8.8-3.2 2.1-3.2s1.7 1.4 2.1 3.2c.4 2.1.8 3.8 2.2 3.8 1.2 0 2-1.4 2.3-3.8.3-2.4.6-4.3 1.3-6 .7-1.6 1.5-3.2 1.5-5.4 0-2.7-2-4.8-4.6-4.8-2 0-3 1.1-4.8 1.1S9.2 2.5 7.2 2.5z';

export const icons = {
  tooth: Html.trusted(
    `<svg class="icon icon-tooth" viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false"><path fill="currentColor" d="${TOOTH_PATH}"/></svg>`,
  ),
  pin: svg('<path d="M12 21.5s7-6.1 7-11.8a7 7 0 0 0-14 0c0 5.7 7 11.8 7 11.8z"/><circle cx="12" cy="9.7" r="2.6"/>'),
  phone: svg('<rect x="6.5" y="2.5" width="11" height="19" rx="2.5"/><path d="M11 18h2"/>'),
  chat: svg('<path d="M20.5 11.6a8.4 8.4 0 0 1-12.3 7.5L3.5 20.5l1.4-4.5a8.4 8.4 0 1 1 15.6-4.4z"/><path d="M9 10.5h6M9 13.5h4"/>'),
  mail: svg('<rect x="3" y="5" width="18" height="14" rx="2.5"/><path d="m3.5 7 8.5 6 8.5-6"/>'),
  clock: svg('<circle cx="12" cy="12" r="9"/><path d="M12 7.5V12l3 2"/>'),
  check: svg('<path d="m5 12.5 4.5 4.5L19 7.5"/>'),
  menu: svg('<path d="M4 7h16M4 12h16M4 17h16"/>'),
} as const;

/** The favicon: the tooth in white on a rounded square of the accent colour. */
export function faviconSvg(accent: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="8" fill="${accent}"/><g transform="translate(4 4)"><path fill="#fff" d="${TOOTH_PATH}"/></g></svg>\n`;
}
