import type { CommandSpec } from '../command.js';

/** `vigil sign`: what `vigil --help` and `vigil sign --help` print, loaded without the command. */
export const signSpec: CommandSpec = {
  name: 'sign',
  summary: 'add signatures to a repository (co-signing) or refresh its timestamp',
  help: `Usage: vigil sign OUT --key KEY [--key KEY...] [--refresh-timestamp]

Adds each key's signature to every role the root gives it (root, targets, snapshot, timestamp).
A release approver holding a targets key brings targets.json up to its threshold this way.
  --refresh-timestamp  re-issue timestamp.json expiring the timestamp lifetime (7 days) from now;
                       this is the one place the wall clock enters a repository (needs a timestamp key)

Examples:
  vigil sign out --key keys/approver.key
  vigil sign out --key keys/ci.key --refresh-timestamp`,
};
