/**
 * The destination sessions a worker keeps between activities (src/connectors/sessions.ts), against
 * the shared Snowflake emulator: reused only when the work on them succeeded, one activity at a
 * time, per pipeline, and all closed when the worker stops.
 */
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { SnowflakeDestination } from '../../src/config/pipeline';
import type { DestinationSession } from '../../src/connectors/destination';
import { DestinationSessions } from '../../src/connectors/sessions';

const { host, port, protocol, account, user, password, database, schema, warehouse } = inject('snowflake');
const destination: SnowflakeDestination = {
  type: 'snowflake',
  host,
  port,
  protocol,
  account,
  user,
  password,
  database,
  schema,
  warehouse,
};
const a = { name: 'sessions-a', destination };
const b = { name: 'sessions-b', destination };

const pools: DestinationSessions[] = [];
function pool(): DestinationSessions {
  const sessions = new DestinationSessions();
  pools.push(sessions);
  return sessions;
}
afterAll(() => Promise.all(pools.map((p) => p.close())));

describe('Destination sessions kept by a worker', () => {
  it('reuses a session whose work succeeded, for the same pipeline only', async () => {
    const sessions = pool();
    const first = await sessions.use(a, async (session) => {
      await session.version();
      return session;
    });
    expect(first.isUp()).toBe(true);
    const again = await sessions.acquire(a);
    expect(again).toBe(first);
    expect(await again.version()).toBeTruthy();
    await sessions.release(a, again, true);
    const other = await sessions.acquire(b);
    expect(other).not.toBe(first);
    await sessions.release(b, other, true);
  });

  it('closes a session whose work failed instead of reusing it, and the idle ones with it', async () => {
    const sessions = pool();
    const [one, two] = await Promise.all([sessions.acquire(a), sessions.acquire(a)]);
    await Promise.all([sessions.release(a, one, true), sessions.release(a, two, true)]);
    const otherPipeline = await sessions.acquire(b);
    await sessions.release(b, otherPipeline, true);
    let failed: DestinationSession | undefined;
    await expect(
      sessions.use(a, async (session) => {
        failed = session;
        await session.countRows({ schema, name: 'no_such_table_here' });
      }),
    ).rejects.toThrow(/no_such_table_here/i);
    expect([one, two]).toContain(failed);
    expect(one.isUp()).toBe(false);
    expect(two.isUp()).toBe(false);
    const next = await sessions.acquire(a);
    expect([one, two]).not.toContain(next);
    await sessions.release(a, next, true);
    // another pipeline's sessions are not touched
    expect(await sessions.acquire(b)).toBe(otherPipeline);
    await sessions.release(b, otherPipeline, true);
  });

  it('gives activities running at once sessions of their own', async () => {
    const sessions = pool();
    const [one, two] = await Promise.all([sessions.acquire(a), sessions.acquire(a)]);
    expect(one).not.toBe(two);
    await Promise.all([sessions.release(a, one, true), sessions.release(a, two, true)]);
    const [three, four] = await Promise.all([sessions.acquire(a), sessions.acquire(a)]);
    expect(new Set([three, four])).toEqual(new Set([one, two]));
    await Promise.all([sessions.release(a, three, true), sessions.release(a, four, true)]);
  });

  it('closes idle sessions when the worker stops, and sessions released after that', async () => {
    const sessions = pool();
    const idle = await sessions.acquire(a);
    const busy = await sessions.acquire(a);
    await sessions.release(a, idle, true);
    await sessions.close();
    expect(idle.isUp()).toBe(false);
    expect(busy.isUp()).toBe(true);
    await sessions.release(a, busy, true);
    expect(busy.isUp()).toBe(false);
  });
});
