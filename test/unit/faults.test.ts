import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFaultSpec } from '../../src/faults';

describe('fault points', () => {
  it('are inert without CONDUIT_FAULT', () => {
    expect(parseFaultSpec(undefined)).toBeUndefined();
    expect(parseFaultSpec('  ')).toBeUndefined();
  });

  it('parse a point and an optional arrival count', () => {
    expect(parseFaultSpec('swap.after')).toEqual({ point: 'swap.after', hit: 1 });
    expect(parseFaultSpec('extract.after-stage@3')).toEqual({ point: 'extract.after-stage', hit: 3 });
  });

  it('reject a misspelt point or count, naming the valid points', () => {
    for (const bad of ['swap', 'swap.after@0', 'swap.after@x', 'swap.after@1@2']) {
      expect(() => parseFaultSpec(bad)).toThrow(/is not a fault point.*extract\.mid-stream/);
    }
  });

  it('kill the process with SIGKILL on the chosen arrival only', () => {
    // A real process (the compiled module: `npm test` builds dist/ first): the point must end it
    // abruptly, with no chance to clean up.
    const script = `
      const { faultPoint } = require(${JSON.stringify(resolve(__dirname, '../../dist/faults.js'))});
      faultPoint('load.after-copy');
      process.stdout.write('first arrival survived\\n');
      faultPoint('swap.before');
      faultPoint('load.after-copy');
      process.stdout.write('second arrival survived\\n');`;
    const result = spawnSync(process.execPath, ['-e', script], {
      env: { ...process.env, CONDUIT_FAULT: 'load.after-copy@2' },
      encoding: 'utf8',
    });
    expect(result.signal).toBe('SIGKILL');
    expect(result.stdout).toBe('first arrival survived\n');
    expect(result.stderr).toContain('fault point load.after-copy reached (arrival 2)');
  });
});
