import Handlebars from 'handlebars';

/**
 * The one Handlebars environment of Vigil's text targets (plan comments, reports). It is
 * isolated (`Handlebars.create()`, nothing registered globally), strict (a missing field is an
 * error, not an empty string), knows only the helpers listed here, and escapes at the boundary:
 * every string in the data is escaped for the output language *before* the template sees it,
 * so neither `{{x}}` nor `{{{x}}}` can emit raw user text (ajv's codegen lesson). Only values
 * made by this module's `code` and `fence` (already safe) pass through as they are.
 */

/** Text that is already safe for the output: made only by `code`, `fence` or an escaper here. */
export class Trusted {
  private constructor(readonly text: string) {}
  /** @internal Only this module creates trusted text. */
  static of(text: string): Trusted {
    return new Trusted(text);
  }
}

/** Escapes one piece of user text for the output language. */
export type Escaper = (text: string) => string;

/** A compiled template: data in, text out. */
export type Template = (data: unknown) => string;

const env = Handlebars.create();
const HELPERS = {
  /** `{{plural n "rule"}}` → `1 rule`, `2 rules`. */
  plural(n: unknown, word: unknown): string {
    return `${String(n)} ${String(word)}${n === 1 ? '' : 's'}`;
  },
  /** `{{#if (eq a "x")}}`. */
  eq(a: unknown, b: unknown): boolean {
    return a === b;
  },
  /** `{{join list ", "}}` of already-escaped items. */
  join(list: unknown, sep: unknown): Handlebars.SafeString {
    const items = Array.isArray(list) ? list.map((x) => (x instanceof Handlebars.SafeString ? x.toString() : Handlebars.escapeExpression(String(x)))) : [];
    return new Handlebars.SafeString(items.join(String(sep)));
  },
} as const;
for (const [name, fn] of Object.entries(HELPERS)) env.registerHelper(name, fn as Handlebars.HelperDelegate);
const KNOWN = Object.fromEntries(Object.keys(HELPERS).map((k) => [k, true]));

/** Compiles a template in the isolated environment; `escape` is applied to every string of the data. */
export function compileTemplate(source: string, escape: Escaper): Template {
  const render = env.compile(source, { strict: true, knownHelpersOnly: true, knownHelpers: KNOWN, noEscape: false, preventIndent: true });
  return (data) => render(guard(data, escape), { allowProtoPropertiesByDefault: false, allowProtoMethodsByDefault: false });
}

/** Deep copy of the data with strings escaped and Trusted values unwrapped into SafeStrings. */
function guard(value: unknown, escape: Escaper): unknown {
  // An empty string stays falsy for `{{#if}}`; it is safe as it is.
  if (value === '') return '';
  if (typeof value === 'string') return new Handlebars.SafeString(escape(value));
  if (value instanceof Trusted) return new Handlebars.SafeString(value.text);
  if (Array.isArray(value)) return value.map((v) => guard(v, escape));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = guard(v, escape);
    return out;
  }
  return value;
}

/**
 * Escapes text for inline Markdown (GitHub Flavored): one line, every punctuation character
 * Markdown could read as syntax backslash-escaped, HTML characters as entities, and `@` broken
 * with a zero-width space so a rule title cannot mention (notify) a user or team.
 */
export function escapeMarkdown(text: string): string {
  return oneLine(text)
    .replace(/[\\`*_{}[\]()#+\-.!|~:]/g, (c) => `\\${c}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/@/g, '@\u200b');
}

/**
 * Inline code: a backtick run longer than any inside the text, so the text cannot end it. In a
 * table cell (`cell`), `|` is escaped too, as GitHub reads it as a column break even there.
 */
export function code(text: string, cell = false): Trusted {
  const line = cell ? oneLine(text).replace(/\|/g, '\\|') : oneLine(text);
  const longest = Math.max(0, ...[...line.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = '`'.repeat(longest + 1);
  const pad = line.startsWith('`') || line.endsWith('`') || line === '' ? ' ' : '';
  return Trusted.of(`${ticks}${pad}${line}${pad}${ticks}`);
}

/** A fenced code block: the fence is longer than any backtick run in the text, so the text cannot close it. */
export function fence(text: string, lang = ''): Trusted {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = '`'.repeat(Math.max(3, longest + 1));
  const body = text.replace(/\r\n?|[\u2028\u2029]/g, '\n');
  return Trusted.of(`${ticks}${/^[a-z]*$/.test(lang) ? lang : ''}\n${body}\n${ticks}`);
}

/**
 * Makes sure no output line starts a GitHub Actions workflow command (`::name ...::`), should
 * the Markdown be printed to a job log: such lines get a leading zero-width space.
 */
export function neutralizeCommands(text: string): string {
  return text.replace(/^(\s*)::/gm, '$1\u200b::');
}

function oneLine(text: string): string {
  return text.replace(/[\r\n\u2028\u2029\t\u0000-\u001f\u007f]+/g, ' ');
}
