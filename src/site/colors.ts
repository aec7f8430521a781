/**
 * The accent colour and the shades derived from it, with WCAG contrast kept: white text on the accent and the
 * accent as text on white must reach 4.5:1 (AA for body text), so a light brand colour is darkened until
 * they do.
 */
type Rgb = [number, number, number];

function parse(hex: string): Rgb {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function toHex([r, g, b]: Rgb): string {
  return '#' + [r, g, b].map((c) => Math.round(Math.min(255, Math.max(0, c))).toString(16).padStart(2, '0')).join('');
}

function luminance(hex: string): number {
  const [r, g, b] = parse(hex).map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

export function contrastRatio(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

/** Mixes a colour with another: amount 0 → a, 1 → b. */
export function mix(a: string, b: string, amount: number): string {
  const ca = parse(a);
  const cb = parse(b);
  return toHex([0, 1, 2].map((i) => ca[i]! + (cb[i]! - ca[i]!) * amount) as Rgb);
}

/** Darkens a colour in small steps until it reaches the ratio against `against`. */
export function darkenUntil(color: string, against: string, ratio: number): string {
  let c = color.toLowerCase();
  for (let i = 0; i < 40 && contrastRatio(c, against) < ratio; i++) c = mix(c, '#000000', 0.05);
  return c;
}

export const DEFAULT_ACCENT = '#0b6e69';

export interface Palette {
  /** buttons, links, headings' accents: ≥ 4.5:1 against white and against `tint` */
  accent: string;
  /** hover and pressed states */
  accentDark: string;
  /** the pale background of tinted sections */
  tint: string;
  /** a slightly stronger pale tone for icons' backgrounds */
  soft: string;
}

export function palette(accentColor: string = DEFAULT_ACCENT): Palette {
  const tint = mix(accentColor.toLowerCase(), '#ffffff', 0.93);
  const accent = darkenUntil(darkenUntil(accentColor, '#ffffff', 4.6), tint, 4.6);
  return {
    accent,
    accentDark: mix(accent, '#000000', 0.2),
    tint,
    soft: mix(accent, '#ffffff', 0.85),
  };
}
