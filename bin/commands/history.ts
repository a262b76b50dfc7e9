import path from 'node:path';
import { EXIT, UsageError, parseCommandArgs, writeLine, type Command } from '../command.js';
import type { Io } from '../io.js';
import { logEntries, repoPlace, type CommitInfo, type RepoPlace } from '../../compiler/history/git-log.js';
import { mainLine, parseIsoDate, ruleHistory } from '../../compiler/history/history.js';
import { loadSide, type SideOptions } from '../../compiler/history/side.js';
import { canonicalBytes, sha256Hex } from '../../runtime/bundle/canonical.js';
import { planOf, type GroupState } from '../../targets/plan/plan.js';
import { statesOf } from './plan.js';
import { cacheOf, pipelineOf } from '../compile-options.js';
import { historySpec } from './history-spec.js';

/** \`vigil history\`: who changed which rule or group when, and what a group ran at a date. */
export const historyCommand: Command = {
  ...historySpec,
  async run(argv: readonly string[], io: Io): Promise<number> {
    const { values, positionals } = parseCommandArgs(argv, {
      rule: { type: 'string' },
      group: { type: 'string' },
      at: { type: 'string' },
      dir: { type: 'string', short: 'C' },
      ref: { type: 'string' },
      format: { type: 'string', short: 'f' },
      pipeline: { type: 'string' },
      cache: { type: 'string' },
      'no-cache': { type: 'boolean' },
    }, true);
    if (positionals.length > 1) throw new UsageError(`expected at most one directory, got ${positionals.length}`);
    const format = values.format ?? 'text';
    if (format !== 'text' && format !== 'json') throw new UsageError(`unknown format \`${format}\` (expected one of: text, json)`);
    if (values.rule !== undefined && values.group !== undefined) throw new UsageError('use either --rule or --group');
    if (values.at !== undefined && values.group === undefined) throw new UsageError('--at needs --group');
    const ref = values.ref ?? 'HEAD';
    if (ref.startsWith('-')) throw new UsageError(`\`${ref}\` is not a revision`);
    const dir = path.resolve(io.cwd, values.dir ?? positionals[0] ?? '.');
    const place = await repoPlace(dir);
    if (!place) throw new UsageError(`\`${dir}\` is not inside a git repository`);
    const json = format === 'json';
    const side: SideOptions = { ...pipelineOf(values.pipeline), ...cacheOf(io, values.cache, values['no-cache']) };
    if (values.rule !== undefined) return ruleCommand(io, place, values.rule, ref, json);
    if (values.group !== undefined && values.at !== undefined) {
      const time = parseIsoDate(values.at);
      if (time === undefined) throw new UsageError(`\`${values.at}\` is not an ISO 8601 date (2026-11-24 or 2026-11-24T09:30:00Z)`);
      return groupAt(io, place, dir, values.group, values.at, time, ref, json, side);
    }
    if (values.group !== undefined) return groupCommand(io, place, dir, values.group, ref, json, side);
    return allCommand(io, place, ref, json);
  },
};

function header(c: CommitInfo): string {
  return `${c.commit.slice(0, 12)}  ${c.date}  ${oneLine(c.author)} <${oneLine(c.email)}>\n    ${oneLine(c.subject)}`;
}

function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
}

async function ruleCommand(io: Io, place: RepoPlace, id: string, ref: string, json: boolean): Promise<number> {
  const entries = await ruleHistory(place, id, ref);
  if (json) io.stdout.write(JSON.stringify({ rule: id, changes: entries }, null, 2) + '\n');
  else {
    for (const e of entries) {
      const where = e.oldPath !== undefined ? `${e.oldPath} -> ${e.path}` : e.path;
      writeLine(io.stdout, `${header(e)}\n    ${e.change} ${oneLine(where)}${e.fields.length ? ` (${e.fields.join(', ')})` : ''}\n`);
    }
  }
  if (entries.length === 0) {
    writeLine(io.stderr, `error: no commit touches a rule with id \`${id}\``);
    return EXIT.failed;
  }
  return EXIT.ok;
}

async function allCommand(io: Io, place: RepoPlace, ref: string, json: boolean): Promise<number> {
  const entries = await logEntries(place, ref);
  if (json) io.stdout.write(JSON.stringify(entries.map((e) => ({ ...e.info, changes: e.changes.map(({ status, path: p, oldPath }) => ({ status, path: p, ...(oldPath ? { oldPath } : {}) })) })), null, 2) + '\n');
  else for (const e of entries) writeLine(io.stdout, `${header(e.info)}\n${e.changes.map((c) => `    ${c.status} ${oneLine(c.oldPath ? `${c.oldPath} -> ${c.path}` : c.path)}`).join('\n')}\n`);
  return EXIT.ok;
}

/** The group's state at one commit, or undefined when the commit does not compile or lacks the group. */
async function stateAt(dir: string, commit: string, group: string, side: SideOptions, digests = false): Promise<{ ok: boolean; state?: GroupState & { bundleDigest?: string } }> {
  const loaded = await loadSide({ dir, ref: commit }, { ...side, digests });
  if (!loaded.ok) return { ok: false };
  const state = statesOf(loaded.snapshot).find((g) => g.group === group);
  return { ok: true, ...(state ? { state } : {}) };
}

async function groupCommand(io: Io, place: RepoPlace, dir: string, group: string, ref: string, json: boolean, side: SideOptions): Promise<number> {
  const commits = await mainLine(place, ref);
  const out: object[] = [];
  let previous: GroupState | undefined;
  let seen = false;
  for (const c of commits) {
    const at = await stateAt(dir, c.commit, group, side);
    if (!at.ok) {
      out.push({ ...c, compiles: false });
      if (!json) writeLine(io.stdout, `${header(c)}\n    (the policy does not compile at this commit)\n`);
      continue;
    }
    seen ||= at.state !== undefined;
    const plan = planOf(previous ? [previous] : [], at.state ? [at.state] : [], { base: 'before', head: c.commit });
    previous = at.state;
    const g = plan.groups[0];
    if (!g) continue;
    const items = g.items.map((i) => ({ ...i, ...detail(plan.changes, i.section, i.name) }));
    out.push({ ...c, status: g.status, hosts: g.hosts, hostsAdded: g.hostsAdded, hostsRemoved: g.hostsRemoved, changes: items });
    if (!json) {
      const lines = items.map((i) => `    ${i.section} ${i.change}: ${oneLine(i.name)}${i.title ? ` (${oneLine(i.title)})` : ''}${i.fields ? ` ${oneLine(i.fields)}` : ''}`);
      if (g.status !== 'changed') lines.unshift(`    group ${g.status}`);
      if (g.hostsAdded.length) lines.push(`    hosts added: ${g.hostsAdded.join(', ')}`);
      if (g.hostsRemoved.length) lines.push(`    hosts removed: ${g.hostsRemoved.join(', ')}`);
      writeLine(io.stdout, `${header(c)}\n${lines.join('\n')}\n`);
    }
  }
  if (json) io.stdout.write(JSON.stringify({ group, changes: out }, null, 2) + '\n');
  if (!seen) {
    writeLine(io.stderr, `error: host group \`${group}\` does not exist in the history of ${ref}`);
    return EXIT.failed;
  }
  return EXIT.ok;
}

/** The title and changed settings of an item, for one history line. */
function detail(changes: ReturnType<typeof planOf>['changes'], section: string, name: string): { title?: string; fields?: string } {
  const c = changes.find((x) => x.section === section && x.name === name);
  if (!c) return {};
  if (c.status === 'new' || c.status === 'deleted') return c.title === undefined ? {} : { title: c.title };
  const logic = c.logic?.some((l) => l.op !== ' ') ? ['detection logic changed'] : [];
  const fields = [...logic, ...c.fields.map((f) => `${f.path}: ${f.before ?? '(none)'} -> ${f.after ?? '(none)'}`)].join('; ');
  return { ...(c.title === undefined ? {} : { title: c.title }), ...(fields ? { fields: `[${fields}]` } : {}) };
}


async function groupAt(io: Io, place: RepoPlace, dir: string, group: string, text: string, time: number, ref: string, json: boolean, side: SideOptions): Promise<number> {
  const commits = await mainLine(place, ref);
  const commit = [...commits].reverse().find((c) => c.time <= time);
  if (!commit) {
    writeLine(io.stderr, `error: no commit of ${ref} changed the policy at or before ${text}`);
    return EXIT.failed;
  }
  const at = await stateAt(dir, commit.commit, group, side, true);
  if (!at.ok || !at.state) {
    writeLine(io.stderr, at.ok ? `error: host group \`${group}\` did not exist at ${commit.commit.slice(0, 12)} (${commit.date})` : `error: the policy does not compile at ${commit.commit.slice(0, 12)}`);
    return EXIT.failed;
  }
  const s = at.state;
  // The published bundle's digest when the lower stage ran; else a digest of what the plan compares.
  const digest = s.bundleDigest ?? `sha256:${sha256Hex(canonicalBytes({ ...s, rules: s.rules.map((r) => ({ ...r })) }))}`;
  const rules = s.rules.map((r) => ({ id: r.ir.id, title: r.ir.title, ...('level' in r.ir && r.ir.level ? { level: r.ir.level } : {}), path: r.path }));
  const result = {
    group,
    at: text,
    commit: commit.commit,
    date: commit.date,
    author: commit.author,
    subject: commit.subject,
    bundleDigest: digest,
    hosts: s.hosts,
    rings: s.rings ?? [],
    packages: s.packages,
    rules,
    threatScores: s.threatScores.map((x) => x.name),
    chains: s.chains.map((x) => x.name),
    anomalies: s.anomalies.map((x) => x.name),
    auditChecks: s.auditChecks.map((x) => x.name),
    services: s.services.map((x) => x.name),
    actions: s.actions.map((x) => x.name),
    credentials: s.credentials.map((x) => x.name),
  };
  if (json) {
    io.stdout.write(JSON.stringify(result, null, 2) + '\n');
    return EXIT.ok;
  }
  const lines = [
    `group ${group} at ${text}`,
    `  commit   ${commit.commit}  ${commit.date}  ${oneLine(commit.author)}`,
    `           ${oneLine(commit.subject)}`,
    `  bundle   ${result.bundleDigest}`,
    `  hosts    ${s.hosts.length}${s.rings?.length ? ` (${s.rings.map((r) => `${r.name} ${r.hosts}`).join(', ')})` : ''}`,
    `  packages ${s.packages.map((p) => (p.version ? `${p.name}@${p.version}` : p.name)).join(', ') || '(none)'}`,
    `  rules    ${rules.length}`,
    ...rules.map((r) => `    ${r.id}  ${r.level ?? '-'}  ${oneLine(r.title)}  (${oneLine(r.path)})`),
  ];
  for (const [label, names] of [['threat scores', result.threatScores], ['chains', result.chains], ['anomalies', result.anomalies], ['audit checks', result.auditChecks], ['services', result.services], ['actions', result.actions], ['credentials', result.credentials]] as const) {
    if (names.length) lines.push(`  ${label}: ${names.join(', ')}`);
  }
  writeLine(io.stdout, lines.join('\n'));
  return EXIT.ok;
}
