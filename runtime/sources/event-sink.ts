/**
 * What every source hands the agent: batches of events tagged with the LogSource they came from
 * (and the file and line when there is one), already mapped to the field names rules use. A sink
 * that returns (or resolves) has taken responsibility for the batch: sources only then advance a
 * read offset, delete spooled events or store a checkpoint, so a crash never loses accepted input.
 */
import type { LogSource } from '../../schema/generated/log-source.js';
import { compileFieldMap } from './field-map.js';
import type { SourceEvent } from './log-format.js';

/** One event and where it came from. */
export interface SourcedEvent {
  /** LogSource name. */
  readonly source: string;
  readonly event: SourceEvent;
  readonly file?: string;
  readonly line?: number;
  /** The LogSource's Sigma logsource, so the agent can pick the rules that apply. */
  readonly logsource?: LogSource['spec']['logsource'];
}

/** Receives events in batches; resolves once they are processed (or durably queued). */
export type EventSink = (batch: readonly SourcedEvent[]) => void | Promise<void>;

/** Builds the per-event finishing step of a LogSource: field mappings, then the tag. */
export function tagger(source: LogSource): (event: SourceEvent, file?: string, line?: number) => SourcedEvent {
  const map = compileFieldMap(source.spec.fieldMappings);
  const name = source.metadata.name;
  const logsource = source.spec.logsource;
  return (event, file, line) => {
    const out: { -readonly [K in keyof SourcedEvent]: SourcedEvent[K] } = { source: name, event: map(event) };
    if (file !== undefined) out.file = file;
    if (line !== undefined) out.line = line;
    if (logsource) out.logsource = logsource;
    return out;
  };
}
