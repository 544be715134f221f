/**
 * HTML built by a tagged template that escapes every interpolated value: model names, feature names, labels,
 * reasons and alert titles all come from users. Only fragments this module built (`Html`) pass through as
 * they are, so markup can be composed without a value ever being inserted raw by accident.
 */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export type Fragment = Html | string | number | boolean | null | undefined | readonly Fragment[];

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for element content and for quoted attribute values (HTML and inline SVG alike). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

function render(value: Fragment): string {
  if (value instanceof Html) return value.value;
  if (value === null || value === undefined || value === false || value === true) return '';
  if (Array.isArray(value)) return (value as readonly Fragment[]).map(render).join('');
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: Fragment[]): Html {
  let out = strings[0]!;
  values.forEach((value, i) => {
    out += render(value) + strings[i + 1]!;
  });
  return new Html(out);
}

/** A number for an SVG coordinate: finite, at most 2 decimals. */
export const coord = (x: number): string => (Number.isFinite(x) ? String(Math.round(x * 100) / 100) : '0');
