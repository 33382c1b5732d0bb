// A competing CPU load for tests of races: two busy-loop processes (one per core of the CI machine)
// run through every test of the describe block that calls this, and are killed after it.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll } from 'vitest';

export function withCompetingCpuLoad(): void {
  let load: ChildProcess[] = [];
  beforeAll(() => {
    load = [0, 1].map(() => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
  });
  afterAll(async () => {
    await Promise.all(
      load.map(
        (child) =>
          new Promise((resolve) => {
            child.once('exit', resolve);
            child.kill('SIGKILL');
          }),
      ),
    );
  });
}
