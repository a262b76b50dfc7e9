import { escapeData, escapeProperty } from '../diagnostics/github.js';
import type { Plan } from './plan.js';

/**
 * `vigil plan --format github`: GitHub Actions workflow commands. Each risk flag is a warning
 * or notice annotation on the rule file it concerns; each changed group gets one notice line.
 * User text goes through the same escapers as `vigil check --format github`, so a rule title
 * can never end an annotation early or start another command.
 */
export function renderPlanGithub(plan: Plan, displayPath: (file: string) => string = (f) => f): string {
  const out: string[] = [];
  for (const r of plan.risks) {
    const props = [...(r.path === undefined ? [] : [`file=${escapeProperty(displayPath(r.path))}`, 'line=1']), `title=${escapeProperty(`vigil plan: ${r.kind}`)}`].join(',');
    const subject = r.title === undefined ? r.name : `${r.title} (${r.name})`;
    out.push(`::${r.severity} ${props}::${escapeData(`${subject}: ${r.message} [groups: ${r.groups.join(', ')}]`)}`);
  }
  for (const g of plan.groups) {
    const counts = new Map<string, number>();
    for (const i of g.items) counts.set(`${i.section} ${i.change}`, (counts.get(`${i.section} ${i.change}`) ?? 0) + 1);
    const what = [...counts].map(([k, n]) => `${n} ${k}`).join(', ') || 'hosts changed';
    const rings = g.rings.map((r) => `${r.name} ${r.hosts}`).join(', ');
    const text = `group ${g.group} (${g.status}, ${g.hosts} host${g.hosts === 1 ? '' : 's'}${rings ? `; rings: ${rings}` : ''}): ${what}`;
    out.push(`::notice title=${escapeProperty('vigil plan')}::${escapeData(text)}`);
  }
  const rules = plan.changes.filter((c) => c.section === 'rules');
  out.push(escapeData(`vigil plan ${plan.base}..${plan.head}: ${plan.groups.length} group${plan.groups.length === 1 ? '' : 's'} changed, ${rules.length} rule change${rules.length === 1 ? '' : 's'}, ${plan.risks.length} risk flag${plan.risks.length === 1 ? '' : 's'}`));
  return out.join('\n') + '\n';
}
