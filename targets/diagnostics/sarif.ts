import type { Log, ReportingDescriptor, Result } from 'sarif';
import { CODES, type CodeId } from '../../compiler/diagnostics/codes.js';
import { locateAll, type Region, type RenderInput } from './locate.js';

/** Where the diagnostics catalog is published; each rule links to its anchor. */
const DOCS_URI = 'https://github.com/vigil-dev/vigil/blob/main/docs/diagnostics.md';
const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

/** Tool metadata for the SARIF driver. */
export interface SarifTool {
  readonly version: string;
}

/**
 * `--format sarif`: a SARIF 2.1.0 log (OASIS, https://docs.oasis-open.org/sarif/sarif/v2.1.0/)
 * as GitHub code scanning uploads it: `tool.driver.rules` from the codes catalog, one result
 * per diagnostic with `ruleId`, `level` and a physical location (end column exclusive).
 */
export function renderSarif(input: RenderInput, tool: SarifTool): string {
  const ids = (Object.keys(CODES) as CodeId[]).filter((id) => !CODES[id].retired).sort();
  const index = new Map(ids.map((id, i) => [id, i]));
  const rules: ReportingDescriptor[] = ids.map((id) => {
    const info = CODES[id];
    return {
      id,
      name: info.slug,
      shortDescription: { text: info.title },
      fullDescription: { text: info.hint === undefined ? info.title : `${info.title}. ${info.hint}` },
      helpUri: `${DOCS_URI}#${id.toLowerCase()}-${info.slug}`,
      defaultConfiguration: { level: info.severity === 'info' ? 'note' : info.severity },
      properties: { tags: ['vigil', info.slug] },
    };
  });
  const results: Result[] = locateAll(input).map((d) => ({
    ruleId: d.code,
    ...(index.has(d.code as CodeId) ? { ruleIndex: index.get(d.code as CodeId)! } : {}),
    level: d.severity === 'info' ? 'note' : d.severity,
    message: { text: d.hint === undefined ? d.message : `${d.message}\nhint: ${d.hint}` },
    locations: [location(d.region)],
    ...(d.related.length === 0 ? {} : { relatedLocations: d.related.map((r, i) => ({ id: i, ...location(r), message: { text: r.message } })) }),
  }));
  const log: Log = {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'vigil', version: tool.version, informationUri: DOCS_URI, rules } },
        columnKind: 'utf16CodeUnits',
        results,
      },
    ],
  };
  return JSON.stringify(log, null, 2) + '\n';
}

function location(r: Region): { physicalLocation: NonNullable<Result['locations']>[number]['physicalLocation'] } {
  return {
    physicalLocation: {
      artifactLocation: { uri: r.file.split('/').map(encodeURIComponent).join('/') },
      region: { startLine: r.line, startColumn: r.column, endLine: r.endLine, endColumn: r.endColumn },
    },
  };
}
