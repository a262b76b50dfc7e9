/**
 * Scheduling priority of the thread that evaluates what the HTTP receiver accepted. On Linux every
 * thread has its own niceness, and `setpriority(PRIO_PROCESS, 0, n)` (what `os.setPriority(n)`
 * calls) changes only the calling thread's; threads started before keep theirs. So the agent
 * lowers its main thread once the receiver's thread runs: when the machine is short of CPU,
 * answering senders comes first and evaluation catches up from the durable spool, instead of the
 * two taking turns at every scheduler tick. Elsewhere the call would change the whole process's
 * priority (Windows: its priority class), which would not separate the two, so it is not made.
 */
import { getPriority, setPriority } from 'node:os';

/** Gives the calling thread niceness `nice` (Linux only); true when it now has it. Never throws. */
export function lowerThreadPriority(nice: number, platform: NodeJS.Platform = process.platform): boolean {
  if (platform !== 'linux') return false;
  try {
    if (getPriority() === nice) return true;
    // Raising a thread's priority back needs privileges an agent may not have; then it stays lower
    // until the agent restarts, which costs throughput, never correctness.
    setPriority(nice);
    return true;
  } catch {
    return false;
  }
}
