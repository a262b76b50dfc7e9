import { makeGetter, scalarString, type Getter } from './field-access.js';

/**
 * Key fields of threat scores, chains and anomalies. `host` and `user` are normalised names
 * read from whichever field the event carries them in (flat NXLog/Winlogbeat events, EVTX
 * exports, ECS); any other name is an event field as rules write it.
 */

const HOST_FIELDS = ['host', 'Hostname', 'Computer', 'ComputerName', 'host.name', 'agent.hostname'];
const USER_FIELDS = ['user', 'User', 'user.name'];

function firstOf(fields: readonly string[]): (event: unknown) => string | undefined {
  const getters = fields.map(makeGetter);
  return (event) => {
    for (const g of getters) {
      const v = scalarString(g(event));
      if (v !== undefined && v !== '' && v !== '-') return v;
    }
    return undefined;
  };
}

const readHost = firstOf(HOST_FIELDS);
const readUserField = firstOf(USER_FIELDS);
const getTargetUser: Getter = makeGetter('TargetUserName');
const getTargetDomain: Getter = makeGetter('TargetDomainName');
const getSubjectUser: Getter = makeGetter('SubjectUserName');

/** The user an event is about: `User`, else `DOMAIN\name` from the logon target, else the subject. */
function readUser(event: unknown): string | undefined {
  const direct = readUserField(event);
  if (direct !== undefined) return direct;
  const name = scalarString(getTargetUser(event));
  if (name === undefined || name === '' || name === '-') {
    // The subject last: on a logon it is the machine account that reported it, not who logged on.
    const subject = scalarString(getSubjectUser(event));
    return subject === undefined || subject === '' || subject === '-' ? undefined : subject;
  }
  const domain = scalarString(getTargetDomain(event));
  return domain && domain !== '-' ? `${domain}\\${name}` : name;
}

/** Reads one key field of an event as a string (undefined when absent or empty). */
export function makeKeyReader(field: string): (event: unknown) => string | undefined {
  if (field === 'host') return readHost;
  if (field === 'user') return readUser;
  const get = makeGetter(field);
  return (event) => {
    const v = scalarString(get(event));
    return v === undefined || v === '' ? undefined : v;
  };
}

/** Reads several key fields; undefined when any is missing (the event then joins no key). */
export function makeTupleReader(fields: readonly string[]): (event: unknown) => Record<string, string> | undefined {
  const readers = fields.map((f) => [f, makeKeyReader(f)] as const);
  return (event) => {
    const out: Record<string, string> = {};
    for (const [f, read] of readers) {
      const v = read(event);
      if (v === undefined) return undefined;
      out[f] = v;
    }
    return out;
  };
}
