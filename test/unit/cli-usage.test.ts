/** `conduit --help`, `conduit COMMAND --help`, `conduit help COMMAND` and `--version`, before option parsing. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main';
import { COMMAND_USAGE } from '../../src/cli/usage';

const { version } = JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as { version: string };

async function run(argv: string[]): Promise<{ code: number; text: string }> {
  let text = '';
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    text += String(chunk);
    return true;
  });
  try {
    return { code: await main(argv), text };
  } finally {
    write.mockRestore();
  }
}

afterEach(() => vi.restoreAllMocks());

describe('conduit help and version', () => {
  it.each(Object.keys(COMMAND_USAGE))('conduit %s --help prints that command’s usage', async (command) => {
    for (const argv of [
      [command, '--help'],
      [command, '-h'],
      ['help', command],
    ]) {
      const { code, text } = await run(argv);
      expect(code, argv.join(' ')).toBe(0);
      expect(text).toMatch(new RegExp(`^Usage:\\n {2}conduit ${command}\\b`));
    }
  });

  it('conduit --help prints every command; conduit alone prints it too and exits 2', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    for (const command of Object.keys(COMMAND_USAGE)) expect(help.text).toContain(`  conduit ${command}`);
    expect((await run([])).code).toBe(2);
  });

  it('conduit --version prints the package version', async () => {
    expect(await run(['--version'])).toEqual({ code: 0, text: `${version}\n` });
  });
});
