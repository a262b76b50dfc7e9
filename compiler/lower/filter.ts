import type { FilterSpec } from '../../schema/generated/filter.js';
import type { DetectionRule, Expr, Test, Variant } from '../../runtime/engine/ir.js';
import type { Doc } from '../stages/classify.js';

/**
 * Filter → detection IR. A Filter is a detection rule written as content conditions, so it
 * lowers to the same `DetectionRule` the Sigma compiler produces and runs on the same
 * matchers and index. Its id is `filter:<name>` so it can never collide with a Sigma rule id.
 */

/** The detection IR id of the Filter with this name. */
export function filterRuleId(name: string): string {
  return `filter:${name}`;
}

/** Where the event's provider is found: EVTX exports, NXLog/Winlogbeat flat events. */
const PROVIDER_FIELDS = ['Provider_Name', 'SourceName', 'ProviderName'];

/** Windows event levels as numbers; Security events log information as 0 (LogAlways). */
const LEVEL_VALUES: Readonly<Record<string, readonly number[]>> = {
  critical: [1],
  error: [2],
  warning: [3],
  information: [0, 4],
  verbose: [5],
};

function str(v: string, cased: boolean, m: 'eq' | 'contains' | 'endswith' = 'eq'): Test {
  return cased ? { t: 'str', m, v, cased: true } : { t: 'str', m, v: v.toLowerCase() };
}

function anyField(fields: readonly string[], tests: readonly Test[]): Expr {
  const args = fields.map((field): Expr => ({ op: 'field', field, tests }));
  return args.length === 1 ? args[0]! : { op: 'or', args };
}

/** `DOMAIN\user` matches `User` exactly or the Target/Subject domain and name pair; `user` matches any domain. */
function userExpr(user: string, cased: boolean): Expr {
  const slash = user.indexOf('\\');
  if (slash < 0) {
    return {
      op: 'or',
      args: [
        { op: 'field', field: 'User', tests: [str(user, cased), str(`\\${user}`, cased, 'endswith')] },
        anyField(['TargetUserName', 'SubjectUserName'], [str(user, cased)]),
      ],
    };
  }
  const domain = user.slice(0, slash);
  const name = user.slice(slash + 1);
  const pair = (prefix: string): Expr => ({
    op: 'and',
    args: [
      { op: 'field', field: `${prefix}DomainName`, tests: [str(domain, cased)] },
      { op: 'field', field: `${prefix}UserName`, tests: [str(name, cased)] },
    ],
  });
  return { op: 'or', args: [{ op: 'field', field: 'User', tests: [str(user, cased)] }, pair('Target'), pair('Subject')] };
}

/** Lowers one Filter document to a detection rule. */
export function lowerFilter(doc: Doc): DetectionRule {
  const name = doc.name ?? '';
  const spec = (doc.data.spec ?? {}) as FilterSpec;
  const meta = (doc.data.metadata ?? {}) as { description?: string };
  const cased = spec.caseSensitive === true;
  const args: Expr[] = [];
  if (spec.providers?.length) args.push(anyField(PROVIDER_FIELDS, spec.providers.map((p) => str(p, false))));
  if (spec.levels?.length) {
    const nums = [...new Set(spec.levels.flatMap((l) => LEVEL_VALUES[l] ?? []))].sort((a, b) => a - b);
    args.push({ op: 'field', field: 'Level', tests: nums.map((v): Test => ({ t: 'num', op: 'eq', v })) });
  }
  if (spec.users?.length) {
    const users = spec.users.map((u) => userExpr(u, cased));
    args.push(users.length === 1 ? users[0]! : { op: 'or', args: users });
  }
  if (spec.include?.length) args.push({ op: 'keyword', tests: spec.include.map((t) => str(t, cased, 'contains')) });
  if (spec.exclude?.length) args.push({ op: 'not', arg: { op: 'keyword', tests: spec.exclude.map((t) => str(t, cased, 'contains')) } });
  const condition: Expr = args.length === 0 ? { op: 'const', value: true } : args.length === 1 ? args[0]! : { op: 'and', args };
  const variant: Variant = {
    ...(spec.channels?.length ? { channels: [...new Set(spec.channels.map((c) => c.toLowerCase()))].sort() } : {}),
    ...(spec.eventIds?.length ? { eventIds: [...new Set(spec.eventIds)].sort((a, b) => a - b) } : {}),
    condition,
  };
  return {
    type: 'detection',
    // No `name`: references to a Filter go through its `filter:` id, never a bare name a Sigma rule might share.
    id: filterRuleId(name),
    title: meta.description ?? name,
    logsource: {},
    attribution: { source: doc.source.path },
    variants: [variant],
  };
}
