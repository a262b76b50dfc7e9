import { locateAll, type RenderInput } from './locate.js';

/**
 * `--format github`: GitHub Actions workflow commands, one annotation per diagnostic
 * (https://docs.github.com/actions/reference/workflow-commands-for-github-actions).
 * Every piece of user text goes through the two escapers below, so a value in a policy
 * file can never end the annotation early or start another command.
 */
export function renderGithub(input: RenderInput): string {
  return locateAll(input)
    .map((d) => {
      const command = d.severity === 'error' ? 'error' : d.severity === 'warning' ? 'warning' : 'notice';
      const props = [
        `file=${escapeProperty(d.region.file)}`,
        `line=${d.region.line}`,
        `col=${d.region.column}`,
        `endLine=${d.region.endLine}`,
        `endColumn=${d.region.endColumn}`,
        `title=${escapeProperty(d.code)}`,
      ].join(',');
      const text = d.hint === undefined ? d.message : `${d.message}\nhint: ${d.hint}`;
      return `::${command} ${props}::${escapeData(text)}\n`;
    })
    .join('');
}

/** Escapes a command's message: `%`, CR and LF. */
export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Escapes a command property value: as data, plus `:` and `,`. */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}
