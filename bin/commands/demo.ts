import { createReadStream, existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Writable, type Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { startAgent } from '../../runtime/agent.js';
import { httpOrigin } from '../../runtime/http-origin.js';
import { generateSigningKey } from '../../runtime/bundle/keys.js';
import { createRoot } from '../../runtime/bundle/trust.js';
import { startServer } from '../../runtime/server/server.js';
import { EXIT, parseCommandArgs, UsageError, writeLine, type Command } from '../command.js';
import type { Io } from '../io.js';
import { compileCommand } from './compile.js';
import { demoSpec } from './demo-spec.js';

/** Keeps what is written to it, to show compile's summary indented. */
class Collect extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: (error?: Error | null) => void): void {
    this.text += chunk.toString();
    done();
  }
}

/** The installation's root: the nearest folder above this file that holds examples/msp. */
function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'examples', 'msp')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}

/** Every sample events file of the example repositories, recon scenario included. */
async function sampleEvents(root: string): Promise<string[]> {
  const files: string[] = [];
  for (const example of await readdir(path.join(root, 'examples'))) {
    const dir = path.join(root, 'examples', example, 'events');
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const n of names.sort()) if (n.endsWith('.jsonl')) files.push(path.join(dir, n));
  }
  return files;
}

/** Concatenates files into one stream of lines, a short pause between files so alerts show as they fire. */
function concat(files: readonly string[], pauseMs: number): Readable {
  const out = new PassThrough();
  void (async () => {
    for (const f of files) {
      for await (const chunk of createReadStream(f)) out.write(chunk);
      out.write('\n');
      await new Promise((r) => setTimeout(r, pauseMs));
    }
    out.end();
  })().catch((error: unknown) => out.destroy(error as Error));
  return out;
}

/** One alert, as a person reads it. */
function describeAlert(line: string): string {
  const a = JSON.parse(line) as { type: string; rule: string; title?: string; level?: string; event?: number; events?: number[]; key?: unknown; score?: number; threshold?: number };
  const level = (a.level ?? 'info').toUpperCase().padEnd(13);
  if (a.type === 'detection') return `  ALERT ${level} ${a.title ?? a.rule}  (event ${a.event})`;
  if (a.type === 'threat-score') return `  ALERT ${level} threat score \`${a.rule}\` reached ${a.score}/${a.threshold} for ${JSON.stringify(a.key)}  (events ${a.events?.join(', ')})`;
  return `  ALERT ${level} ${a.type} \`${a.title ?? a.rule}\` for ${JSON.stringify(a.key ?? '')}  (events ${a.events?.join(', ')})`;
}

/** `vigil demo`: the whole loop on one machine, start to finish, then cleans up. */
export const demoCommand: Command = {
  ...demoSpec,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { group: { type: 'string' }, host: { type: 'string' }, json: { type: 'boolean', default: false } });
    if (positionals.length > 0) throw new UsageError('vigil demo takes no positional arguments');
    const group = values.group ?? 'contoso-workstations';
    const host = values.host ?? 'AMS-WS-002';
    const say = (text: string) => writeLine(io.stdout, text);
    const root = repoRoot();
    const dir = await mkdtemp(path.join(tmpdir(), 'vigil-demo-'));
    try {
      return await runDemo({ io, say, root, dir, group, host, json: values.json });
    } finally {
      await rm(dir, { recursive: true, force: true });
      say('demo: cleaned up the temporary directory');
    }
  },
};

interface DemoInput {
  readonly io: Io;
  readonly say: (text: string) => void;
  readonly root: string;
  readonly dir: string;
  readonly group: string;
  readonly host: string;
  readonly json: boolean;
}

async function runDemo({ io, say, root, dir, group, host, json }: DemoInput): Promise<number> {
  say('demo: 1/5 generating a dev signing key and trust root (temporary, never reused)');
  const { key, privateText } = generateSigningKey();
  const all = { keys: [key], threshold: 1 };
  await writeFile(path.join(dir, 'dev.key'), privateText, { mode: 0o600 });
  await writeFile(path.join(dir, 'root.json'), createRoot({ root: all, targets: all, snapshot: all, timestamp: all, expires: new Date(Date.now() + 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z') }, [key]));

  say('demo: 2/5 compiling examples/msp into signed per-group bundles');
  const quiet = { ...io, stdout: new Collect(), stderr: new Collect(), progress: false, color: false };
  const out = path.join(dir, 'out');
  const compiled = await compileCommand.run([path.join(root, 'examples/msp'), '--out', out, '--key', path.join(dir, 'dev.key'), '--trust', path.join(dir, 'root.json')], quiet);
  for (const line of quiet.stdout.text.trimEnd().split('\n')) say(`  ${line}`);
  if (compiled !== EXIT.ok) {
    writeLine(io.stderr, quiet.stderr.text);
    return EXIT.failed;
  }

  say('demo: 3/5 serving the repository on 127.0.0.1');
  const server = await startServer({ out, port: 0, tickMs: 200 });
  say(`  ${server.url}  (GET ${server.url}status shows the fleet)`);
  try {
    const files = await sampleEvents(root);
    say(`demo: 4/5 starting agent ${host} of group ${group}; events from ${files.map((f) => path.relative(root, f)).join(', ')}`);
    let alerts = 0;
    let filterMatches = 0;
    const agent = startAgent({
      origin: httpOrigin({ base: server.url, host, group }), trust: new Uint8Array(await readFile(path.join(dir, 'root.json'))),
      stateDir: path.join(dir, 'agent-state'), group, host, pollIntervalMs: 500,
      events: concat(files, 300),
      alert: (line) => {
        alerts++;
        // Filter matches feed threat scores and chains; the readable view shows what a SOC acts on.
        if (!json && line.includes('"rule":"filter:')) filterMatches++;
        else say(json ? line : describeAlert(line));
      },
      log: (line) => say(`  ${line}`),
    });
    await agent.eventsDone;
    // One more poll and report, so the status below is current.
    await new Promise((r) => setTimeout(r, 800));
    const status = agent.status();
    await agent.stop();
    say(`demo: 5/5 ${alerts} alert(s)${filterMatches ? ` (${filterMatches} filter matches not shown; --json shows them)` : ''}; fleet status from the server:`);
    const fleet = server.fleet.snapshot(Date.now()) as { hosts: { host: string; group: string; bundle?: { digest: string; version: number }; selfTest: string; drift: boolean; alive: boolean }[] };
    for (const h of fleet.hosts) say(`  ${h.host}  group ${h.group}  bundle v${h.bundle?.version ?? '-'} ${h.bundle?.digest.slice(0, 12) ?? '-'}  self-test ${h.selfTest}  drift ${h.drift ? 'YES' : 'no'}`);
    if (status.state !== 'running') {
      writeLine(io.stderr, `demo: the agent did not activate a bundle (${status.errors.map((e) => e.code).join(', ') || 'no error reported'})`);
      return EXIT.failed;
    }
    return EXIT.ok;
  } finally {
    await server.close();
    say('demo: agent and server stopped');
  }
}
