import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { code, compileTemplate, escapeMarkdown, fence, neutralizeCommands, type Template, type Trusted } from '../templates.js';
import type { ItemChange, Plan, RingCount, Section } from './plan.js';

/**
 * `vigil plan --format md`: the pull-request comment, rendered from plan.md.hbs. The view
 * model below holds user text as plain strings (escaped for Markdown at the template boundary)
 * or as code spans and fenced blocks made by targets/templates.ts.
 */

/** GitHub refuses comments over 65536 characters; stay under with room for a footer. */
const MAX_CHARS = 60_000;
/** Changes shown in detail; the rest are counted. */
const MAX_DETAILED = 60;

const LABEL: Readonly<Record<Section, string>> = {
  rules: 'Rule',
  threatScores: 'Threat score',
  chains: 'Chain',
  anomalies: 'Anomaly',
  filters: 'Filter',
  auditChecks: 'Audit check',
  services: 'Service',
  actions: 'Action',
  credentials: 'Credential',
  packages: 'Package',
};
const PLURAL: Readonly<Record<Section, string>> = {
  rules: 'rules',
  threatScores: 'threat scores',
  chains: 'chains',
  anomalies: 'anomalies',
  filters: 'filters',
  auditChecks: 'audit checks',
  services: 'services',
  actions: 'actions',
  credentials: 'credentials',
  packages: 'packages',
};

let template: Template | undefined;

/** Renders a plan as GitHub Flavored Markdown. */
export function renderMarkdown(plan: Plan): string {
  template ??= compileTemplate(readFileSync(templatePath(), 'utf8'), escapeMarkdown);
  let shown = Math.min(plan.changes.length, MAX_DETAILED);
  for (;;) {
    const text = neutralizeCommands(template(view(plan, shown))).replace(/\n{3,}/g, '\n\n').replace(/\n+$/, '\n');
    if (text.length <= MAX_CHARS || shown === 0) return text;
    shown = Math.floor(shown / 2);
  }
}

/** The template file, next to this module in the source tree (dist/ holds only compiled code). */
function templatePath(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    for (const candidate of [path.join(dir, 'plan.md.hbs'), path.join(dir, 'targets/plan/plan.md.hbs')]) if (existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  throw new Error('targets/plan/plan.md.hbs not found');
}

function view(plan: Plan, shown: number): Record<string, unknown> {
  const ruleChanges = (status: string) => plan.changes.filter((c) => c.section === 'rules' && c.status === status).length;
  const hostCount = plan.groups.reduce((n, g) => n + g.hosts, 0);
  return {
    base: code(plan.base),
    head: code(plan.head),
    empty: plan.groups.length === 0,
    groupCount: plan.groups.length,
    hostCount,
    riskCount: plan.risks.length,
    rules: { added: ruleChanges('new'), removed: ruleChanges('deleted'), modified: ruleChanges('modified') },
    risks: plan.risks.map((r) => ({
      icon: r.severity === 'warning' ? '⚠️' : 'ℹ️',
      kind: r.kind,
      what: what(r.section, r.name, r.title, true),
      groups: r.groups.map((g) => code(g, true)),
      message: r.message,
    })),
    groups: plan.groups.map((g) => ({
      name: code(g.group, true),
      status: g.status,
      hosts: g.hosts,
      hostDelta: [g.hostsAdded.length ? `+${g.hostsAdded.length}` : '', g.hostsRemoved.length ? `−${g.hostsRemoved.length}` : ''].filter(Boolean).join(' '),
      rings: rings(g.rings) || '(no rollout)',
      summary: groupSummary(g.items),
    })),
    changes: plan.changes.slice(0, shown).map(changeView),
    omitted: plan.changes.length - shown,
    unchanged: plan.unchangedGroups.map((g) => code(g)),
  };
}

/** A rule as its title and id, anything else as its name; a list the template joins. */
function what(section: Section, name: string, title: string | undefined, cell: boolean): (Trusted | string)[] {
  if (section === 'rules' && title !== undefined) return [title, ' (', code(name, cell), ')'];
  return [code(name, cell)];
}

function changeView(c: ItemChange): Record<string, unknown> {
  const logicText = c.logic && c.logic.some((l) => l.op !== ' ') ? c.logic.map((l) => `${l.op}${l.text}`).join('\n') : '';
  return {
    label: LABEL[c.section],
    what: what(c.section, c.name, c.title, false),
    status: c.status === 'moved' ? 'assigned to other groups' : c.status,
    path: c.path === undefined ? [] : c.pathBefore !== undefined ? [code(c.pathBefore), ' → ', code(c.path)] : [code(c.path)],
    hosts: c.hosts,
    groupCount: c.groups.length,
    rings: rings(c.rings),
    tested: c.section === 'rules' && c.status !== 'deleted' ? (c.tested ? 'has rule tests' : 'no rule tests') : '',
    fields: c.fields.map((f) => ({ path: code(f.path, true), before: f.before === undefined ? '' : code(f.before, true), after: f.after === undefined ? '' : code(f.after, true) })),
    logic: logicText === '' ? '' : fence(logicText, 'diff'),
  };
}

function rings(list: readonly RingCount[]): string {
  return list.map((r) => `${r.name} ${r.hosts}`).join(', ');
}

/** `rules: +1 −2 ~1` per section that changed. */
function groupSummary(items: Plan['groups'][number]['items']): string[] {
  const out: string[] = [];
  const sections = [...new Set(items.map((i) => i.section))];
  for (const s of sections) {
    const n = (change: string) => items.filter((i) => i.section === s && i.change === change).length;
    const parts = [n('added') ? `+${n('added')}` : '', n('removed') ? `−${n('removed')}` : '', n('modified') ? `~${n('modified')}` : ''].filter(Boolean);
    out.push(`${PLURAL[s]} ${parts.join(' ')}`);
  }
  return out;
}
