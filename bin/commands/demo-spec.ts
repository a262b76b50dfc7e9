import type { CommandSpec } from '../command.js';

/** `vigil demo`: what `vigil --help` and `vigil demo --help` print, loaded without the command. */
export const demoSpec: CommandSpec = {
  name: 'demo',
  summary: 'end-to-end demo: compile examples/msp, serve it, run an agent on the sample events, print alerts',
  help: `Usage: vigil demo [--group G] [--host ID] [--json]

Generates a throw-away signing key and trust root in a temporary directory, compiles the MSP
example repository (examples/msp) into signed bundles, serves them on 127.0.0.1, starts an agent
of group G that pulls, verifies, self-tests and activates its bundle, feeds it the sample events
from examples/ (the recon scenario included), prints the alerts as they fire and the fleet's
status, then shuts everything down and removes the temporary directory. \`npm start\` runs it.
  --group G   host group of the agent (default contoso-workstations)
  --host ID   the agent's host name (default AMS-WS-002)
  --json      print alerts as the agent's JSON Lines instead of one readable line each

Example:
  vigil demo`,
};
