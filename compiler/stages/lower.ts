import { diag } from '../diagnostics/diagnostic.js';
import { CURRENT_IR_VERSION, tooNew } from '../features.js';
import type { Model, ResolvedGroup } from '../model.js';
import type { Reporter } from '../reporter.js';
import type { SigmaCompiled } from '../sigma/compile-sigma.js';
import { spanOfNode } from '../span.js';
import type { Attachments } from '../lower/attachments.js';
import { groupContent, type BundleContent } from '../lower/bundle-content.js';
import type { Doc } from './classify.js';
import { valueNode } from './yaml-nodes.js';
import { canonicalJson, freezeJson } from '../../runtime/bundle/canonical.js';

/** One host group's bundle document (schema/bundle.schema.json), ready for the bundle target. */
export interface BundleDocument {
  readonly irVersion: number;
  readonly features: readonly string[];
  readonly group: string;
  readonly ring?: string;
  readonly content: BundleContent;
}

/** A lowered group: its bundle document plus figures for the CLI. */
export interface LoweredBundle {
  readonly group: string;
  readonly ring?: string;
  readonly document: BundleDocument;
  /** Sigma rules in the bundle (detection, correlation and filter rules). */
  readonly rules: number;
}

/**
 * Lowers the checked model to one bundle document per host group, sorted by group name. Pure:
 * the same model gives the same documents (no clock, no spans, every list sorted). A group whose
 * content needs a newer agent than its `minAgentVersion` allows is reported (VG5001), so old
 * agents are never sent a bundle they would refuse.
 */
export function lower(model: Model, sigma: ReadonlyMap<Doc, SigmaCompiled>, attachments: Attachments, reporter: Reporter): LoweredBundle[] {
  const out: LoweredBundle[] = [];
  const shared = new Map<string, BundleContent>();
  for (const group of [...model.groups.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const lowered = groupContent(model, sigma, group, attachments, reporter);
    const features = lowered.features;
    const content = shareContent(lowered.content, shared);
    checkAgentVersion(group, features, reporter);
    const ring = group.rollout;
    // Frozen: the bundle target memoises canonical text by identity, and nothing may change it now.
    const document: BundleDocument = freezeJson({ irVersion: CURRENT_IR_VERSION, features, group: group.name, ...(ring === undefined ? {} : { ring }), content });
    out.push({ group: group.name, ...(ring === undefined ? {} : { ring }), document, rules: content.rules.length });
  }
  return out;
}

/** Identity numbers of rule lists (groupRules interns them, so equal lists are one array). */
const listIds = new WeakMap<object, number>();
let nextListId = 0;

/**
 * The content object of an earlier group when this group's content is equal to it, else this
 * one. Many groups usually get the same packages; one shared, frozen object lets the bundle
 * target serialize, encode and hash that content once. Equality is decided on the canonical
 * text of everything but the (large) rule list, which is compared by identity.
 */
function shareContent(content: BundleContent, seen: Map<string, BundleContent>): BundleContent {
  let id = listIds.get(content.rules);
  if (id === undefined) listIds.set(content.rules, (id = nextListId++));
  const key = canonicalJson({ ...content, rules: id });
  const earlier = seen.get(key);
  if (earlier) return earlier;
  // Frozen as a root of its own, so its canonical text is memoised and its identity shared.
  const frozen = freezeJson(content);
  seen.set(key, frozen);
  return frozen;
}

/** Reports every feature the group's oldest allowed agent cannot run (VG5001), at `minAgentVersion`. */
function checkAgentVersion(group: ResolvedGroup, features: readonly string[], reporter: Reporter): void {
  const version = (group.doc.data.spec as { minAgentVersion?: unknown } | undefined)?.minAgentVersion;
  if (typeof version !== 'string') return;
  const at = spanOfNode(group.doc.source.path, valueNode(group.doc.doc, ['spec', 'minAgentVersion']));
  for (const { feature, needs } of tooNew(version, CURRENT_IR_VERSION, features)) {
    const name = feature.startsWith('IR ') ? feature : `\`${feature}\``;
    reporter.report(diag('VG5001', at, { group: group.name, version, feature: name, needs }));
  }
}
