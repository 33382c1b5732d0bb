/**
 * Finding and signalling every descendant of a server process. A process-group kill misses a child
 * that called `setsid()` (or `setpgid`): it leaves the group but keeps its parent link, and it may
 * hold the server's stdout and stderr open. The links must be read while the server still runs:
 * once it exits, its children are re-parented to init (or a subreaper) and can no longer be told
 * apart from any other process.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

/** A process as found: its pid and, on Linux, its start time, so a recycled pid is never signalled. */
export interface ProcessRef {
  pid: number;
  /** Field 22 of /proc/<pid>/stat (clock ticks since boot); undefined where /proc is missing. */
  startTime?: string;
}

interface ProcessRow {
  pid: number;
  ppid: number;
  startTime?: string;
}

/**
 * Parses one /proc/<pid>/stat line. The command name (field 2) is in parentheses and may itself
 * hold spaces and parentheses, so the fields are counted from the last `)`.
 */
export function parseProcStat(text: string): ProcessRow | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const pid = Number.parseInt(text, 10);
  const rest = text.slice(close + 2).split(' ');
  // rest[0] is field 3 (state), rest[1] field 4 (ppid), rest[19] field 22 (starttime).
  const ppid = Number(rest[1]);
  if (!Number.isSafeInteger(pid) || !Number.isSafeInteger(ppid)) return undefined;
  return { pid, ppid, startTime: rest[19] };
}

/** Parses `ps -A -o pid=,ppid=` output. */
export function parsePsTable(text: string): ProcessRow[] {
  const rows: ProcessRow[] = [];
  for (const line of text.split('\n')) {
    const [pid, ppid] = line.trim().split(/\s+/).map(Number);
    if (Number.isSafeInteger(pid) && Number.isSafeInteger(ppid)) rows.push({ pid: pid!, ppid: ppid! });
  }
  return rows;
}

/** Every process below `root` in `rows` (children, grandchildren, …), root excluded. */
export function descendantsIn(rows: readonly ProcessRow[], root: number): ProcessRow[] {
  const children = new Map<number, ProcessRow[]>();
  for (const row of rows) {
    const list = children.get(row.ppid);
    if (list) list.push(row);
    else children.set(row.ppid, [row]);
  }
  const found: ProcessRow[] = [];
  const seen = new Set<number>([root]);
  const queue = [root];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      if (seen.has(child.pid)) continue;
      seen.add(child.pid);
      found.push(child);
      queue.push(child.pid);
    }
  }
  return found;
}

function readProcRows(): ProcessRow[] | undefined {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return undefined;
  }
  const rows: ProcessRow[] = [];
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const row = parseProcStat(readFileSync(`/proc/${name}/stat`, 'utf8'));
      if (row) rows.push(row);
    } catch {
      // The process exited between readdir and read.
    }
  }
  return rows;
}

/**
 * The tree below `root` through /proc/<pid>/task/<tid>/children (one read per process in the tree
 * instead of one per process on the machine); undefined where the kernel lacks that file
 * (CONFIG_PROC_CHILDREN), or when `root` is gone.
 */
function readProcChildren(root: number): ProcessRow[] | undefined {
  if (!existsSync(`/proc/${root}/task/${root}/children`)) return undefined;
  const rows: ProcessRow[] = [];
  const seen = new Set<number>([root]);
  const queue = [root];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${parent}/task`);
    } catch {
      continue;
    }
    for (const task of tasks) {
      let text: string;
      try {
        text = readFileSync(`/proc/${parent}/task/${task}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const word of text.split(' ')) {
        const pid = Number(word);
        if (word === '' || !Number.isSafeInteger(pid) || seen.has(pid)) continue;
        seen.add(pid);
        queue.push(pid);
        let startTime: string | undefined;
        try {
          startTime = parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.startTime;
        } catch {
          continue;
        }
        rows.push(startTime === undefined ? { pid, ppid: parent } : { pid, ppid: parent, startTime });
      }
    }
  }
  return rows;
}

function readPsRows(): ProcessRow[] {
  const ps = spawnSync('ps', ['-A', '-o', 'pid=,ppid='], { encoding: 'utf8', timeout: 2_000, windowsHide: true });
  return ps.status === 0 ? parsePsTable(ps.stdout) : [];
}

/**
 * The descendants of `pid` now, through /proc parent links on Linux and `ps` elsewhere. Synchronous,
 * so it can run in an exit handler.
 */
export function findDescendants(pid: number): ProcessRef[] {
  if (process.platform === 'win32') return [];
  const rows = readProcChildren(pid) ?? readProcRows() ?? readPsRows();
  return descendantsIn(rows, pid).map(({ pid: p, startTime }) => (startTime === undefined ? { pid: p } : { pid: p, startTime }));
}

/** Whether `ref` still names the process that was found (not a recycled pid), as far as can be told. */
function isSameProcess(ref: ProcessRef): boolean {
  if (ref.startTime === undefined) return true;
  try {
    return parseProcStat(readFileSync(`/proc/${ref.pid}/stat`, 'utf8'))?.startTime === ref.startTime;
  } catch {
    return false;
  }
}

/** Signals each process that is still the one found; one that is gone is not an error. */
export function signalProcesses(refs: Iterable<ProcessRef>, signal: NodeJS.Signals): void {
  for (const ref of refs) {
    if (!isSameProcess(ref)) continue;
    try {
      process.kill(ref.pid, signal);
    } catch {
      // ESRCH: it exited; EPERM: it is no longer ours.
    }
  }
}
