/**
 * The compiler's stages, in the order they run. Each stage only needs what the one before
 * it produced: load reads bytes, parse turns text into YAML documents (positions kept),
 * classify decides what each document is, validate checks it against its JSON Schema,
 * resolve links names into a Model, check runs whole-repository checks over it, and lower
 * turns the checked model into one bundle document per host group (only when nothing failed).
 * Timing names and `--until` come from this tuple, so they cannot drift.
 */
export const STAGES = ['load', 'parse', 'classify', 'validate', 'resolve', 'check', 'lower'] as const;

/** One stage name. */
export type StageName = (typeof STAGES)[number];

/** Whether `stage` runs when compilation stops after `until`. */
export function runsBefore(stage: StageName, until: StageName | undefined): boolean {
  return until === undefined || STAGES.indexOf(stage) <= STAGES.indexOf(until);
}
