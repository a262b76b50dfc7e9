import { IndentationText, Project, QuoteKind, VariableDeclarationKind } from 'ts-morph';

/**
 * Writes schema/generated/kinds.ts: the kind table, the schema registry and `isKindName`,
 * built with ts-morph so the public contract other modules code against has one source.
 */

/** Every vigil/v1 kind; `Pipeline`'s schema is owned elsewhere and may be absent for a while. */
export const KIND_LIST = [
  'Package',
  'Filter',
  'ThreatScore',
  'Chain',
  'Anomaly',
  'AuditCheck',
  'Dashboard',
  'Credential',
  'LogFormat',
  'LogSource',
  'Service',
  'Action',
  'HostGroup',
  'Host',
  'Rollout',
  'Pipeline',
] as const;

/** Base URL of every Vigil schema `$id`. */
export const SCHEMA_BASE = 'https://vigil.dev/schema/v1/';

/** One row of the generated KINDS table. */
export interface KindRow {
  readonly kind: string;
  readonly schemaId: string;
  readonly file: string;
  readonly plural: string;
  readonly description: string;
}

/** `ThreatScore` -> `threat-score`. */
export function kebabOf(kind: string): string {
  return kind.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

/** English plural of a kebab name's last word: `anomaly` -> `anomalies`, `host-group` -> `host-groups`. */
export function pluralOf(kebab: string): string {
  if (/[^aeiou]y$/.test(kebab)) return `${kebab.slice(0, -1)}ies`;
  if (/(s|x|ch|sh)$/.test(kebab)) return `${kebab}es`;
  return `${kebab}s`;
}

/** Builds the kind table from kind names and the descriptions found in their schema files. */
export function kindRows(descriptions: ReadonlyMap<string, string>): KindRow[] {
  return KIND_LIST.map((kind) => {
    const kebab = kebabOf(kind);
    const file = `${kebab}.schema.json`;
    return {
      kind,
      schemaId: `${SCHEMA_BASE}${file}`,
      file,
      plural: pluralOf(kebab),
      description: descriptions.get(kind) ?? `${kind} policy document.`,
    };
  });
}

/** Recursively sorts object keys so embedded schemas print the same whatever the input order. */
export function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeysDeep((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

/** Renders kinds.ts from the kind table and every schema object keyed by `$id`. */
export function renderKinds(rows: readonly KindRow[], schemas: ReadonlyMap<string, object>, banner: string): string {
  const project = new Project({
    useInMemoryFileSystem: true,
    manipulationSettings: { indentationText: IndentationText.TwoSpaces, quoteKind: QuoteKind.Single },
  });
  const file = project.createSourceFile('kinds.ts', '');
  const names = rows.map((r) => r.kind);
  const sortedNames = [...names].sort();
  file.addTypeAlias({
    isExported: true,
    name: 'KindName',
    type: names.map((n) => `'${n}'`).join(' | '),
    docs: ['Every vigil/v1 policy kind.'],
  });
  file.addInterface({
    isExported: true,
    name: 'KindInfo',
    docs: ['What the tools need to know about one kind: its schema, file and folder names.'],
    properties: [
      { isReadonly: true, name: 'kind', type: 'KindName' },
      { isReadonly: true, name: 'schemaId', type: 'string', docs: ['`$id` of the kind\'s JSON Schema.'] },
      { isReadonly: true, name: 'file', type: 'string', docs: ['Schema file name in schema/, e.g. `threat-score.schema.json`.'] },
      { isReadonly: true, name: 'plural', type: 'string', docs: ['Folder name in policy repositories, e.g. `threat-scores`.'] },
      { isReadonly: true, name: 'description', type: 'string' },
    ],
  });
  const table = rows
    .map(
      (r) =>
        `${r.kind}: { kind: '${r.kind}', schemaId: ${JSON.stringify(r.schemaId)}, file: ${JSON.stringify(r.file)}, plural: ${JSON.stringify(r.plural)}, description: ${JSON.stringify(r.description)} }`,
    )
    .join(',\n');
  file.addVariableStatement({
    isExported: true,
    declarationKind: VariableDeclarationKind.Const,
    docs: ['The kind table, keyed by kind name.'],
    declarations: [{ name: 'KINDS', type: 'Readonly<Record<KindName, KindInfo>>', initializer: `{\n${table}\n}` }],
  });
  file.addVariableStatement({
    isExported: true,
    declarationKind: VariableDeclarationKind.Const,
    docs: ['Every kind name, sorted.'],
    declarations: [{ name: 'KIND_NAMES', type: 'readonly KindName[]', initializer: `[${sortedNames.map((n) => `'${n}'`).join(', ')}]` }],
  });
  file.addVariableStatement({
    isExported: true,
    declarationKind: VariableDeclarationKind.Const,
    docs: ['`$id` of the schema native Sigma rules are validated against.'],
    declarations: [{ name: 'SIGMA_RULE_SCHEMA_ID', type: 'string', initializer: JSON.stringify(`${SCHEMA_BASE}sigma-rule.schema.json`) }],
  });
  file.addVariableStatement({
    isExported: true,
    declarationKind: VariableDeclarationKind.Const,
    docs: ['`$id` of the schema holding the shared `$defs`.'],
    declarations: [{ name: 'COMMON_SCHEMA_ID', type: 'string', initializer: JSON.stringify(`${SCHEMA_BASE}common.schema.json`) }],
  });
  const ids = [...schemas.keys()].sort();
  const registry = ids.map((id) => `${JSON.stringify(id)}: ${JSON.stringify(sortKeysDeep(schemas.get(id)), null, 2)}`).join(',\n');
  file.addVariableStatement({
    isExported: true,
    declarationKind: VariableDeclarationKind.Const,
    docs: ['Every schema in schema/, keyed by `$id`, embedded so nothing reads schema files at run time.'],
    declarations: [{ name: 'SCHEMAS', type: 'Readonly<Record<string, object>>', initializer: `{\n${registry}\n}` }],
  });
  file.addVariableStatement({
    declarationKind: VariableDeclarationKind.Const,
    declarations: [{ name: 'KIND_SET', type: 'ReadonlySet<string>', initializer: 'new Set<string>(KIND_NAMES)' }],
  });
  file.addFunction({
    isExported: true,
    name: 'isKindName',
    docs: ['Tells whether a value is one of the vigil/v1 kind names.'],
    parameters: [{ name: 'value', type: 'unknown' }],
    returnType: 'value is KindName',
    statements: "return typeof value === 'string' && KIND_SET.has(value);",
  });
  file.formatText({ indentSize: 2, convertTabsToSpaces: true });
  return `${banner}\n${file.getFullText()}`;
}
