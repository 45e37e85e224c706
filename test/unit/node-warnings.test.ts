import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// Runs the compiled entry points (scripts/bootstrap.sh builds dist/) on the Node running the tests:
// .ci/run runs this file on Node 20 and on Node 24.
const root = resolve(__dirname, '../..');

function stderrOf(args: string[]): string {
  const env = { ...process.env };
  delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
  delete env.NODE_NO_WARNINGS;
  const result = spawnSync(process.execPath, args, { cwd: root, env, encoding: 'utf8', timeout: 60_000 });
  expect(result.error).toBeUndefined();
  return result.stderr;
}

describe('no warning from a dependency reaches the terminal', () => {
  it('loading the library with its Snowflake client prints nothing on stderr', () => {
    // The worker loads snowflake-sdk through the connection module when a pipeline first opens a session.
    const load =
      "require('./dist/worker.js'); require('./dist/client.js'); require('./dist/connectors/snowflake/connection.js');";
    expect(stderrOf(['-e', load])).toBe('');
  });

  it('the CLI prints no Node-version notice or deprecation warning', () => {
    const stderr = stderrOf(['bin/conduit.js', 'validate', '--config', 'examples/demo-pipeline.yaml']);
    expect(stderr).not.toMatch(/upgrade to node|DeprecationWarning|ExperimentalWarning|trace-warnings/i);
  });
});
