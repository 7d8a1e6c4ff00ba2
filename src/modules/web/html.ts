import escapeHtml from 'escape-html';

/** Markup that is already safe to send: built by `html` (which escaped every value) or trusted on purpose with `trusted`. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value === null || value === undefined || typeof value === 'boolean') return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value as string | number));
}

/**
 * The pages' one way to write markup: every interpolated value is HTML-escaped unless it
 * is itself `SafeHtml`; `false`, `null` and `undefined` render nothing (so `${cond && html`…`}` works).
 */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0];
  values.forEach((v, i) => {
    out += render(v) + strings[i + 1];
  });
  return new SafeHtml(out);
}

/** Markup produced by our own code that escapes on its own (the SVG plot). Never for user input. */
export function trusted(markup: string): SafeHtml {
  return new SafeHtml(markup);
}
