import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The lint configuration itself: a forgotten await and its kin must fail `npm run lint`.
const root = resolve(__dirname, '../..');
// Type-aware rules need a file of a TypeScript project; the planted code is linted as if it were this one, in
// a one-file project. With CI=true typescript-eslint infers a single run and type-checks the file as it is on
// disk, not the planted text, so that inference is turned off here.
const filePath = resolve(root, 'test/fixtures/lint/sample.ts');
const eslint = new ESLint({
  cwd: root,
  overrideConfig: {
    languageOptions: {
      parserOptions: {
        project: './test/fixtures/lint/tsconfig.json',
        tsconfigRootDir: root,
        disallowAutomaticSingleRunInference: true,
      },
    },
  },
});

async function ruleIds(code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => m.ruleId ?? `fatal: ${m.message}`);
}

const header = `export type Kind = 'a' | 'b';
export async function work(): Promise<number> {
  await Promise.resolve();
  return 1;
}
`;

describe('the lint configuration', () => {
  it('passes clean code', async () => {
    expect(await ruleIds(readFileSync(filePath, 'utf8'))).toEqual([]);
  });

  it('reports a floating promise', async () => {
    const code = `${header}export function caller(): void {\n  work();\n}\n`;
    expect(await ruleIds(code)).toEqual(['@typescript-eslint/no-floating-promises']);
  });

  it('reports a promise where a void callback is expected', async () => {
    const code =
      `${header}export function listen(on: (handler: () => void) => void): void {\n` +
      `  on(async () => {\n    await work();\n  });\n}\n`;
    expect(await ruleIds(code)).toEqual(['@typescript-eslint/no-misused-promises']);
  });

  it('reports an await of a value that is not a promise', async () => {
    const code = `${header}export async function caller(): Promise<number> {\n  return await 1;\n}\n`;
    expect(await ruleIds(code)).toEqual(['@typescript-eslint/await-thenable']);
  });

  it('reports a switch that misses a case of a union and has no default', async () => {
    const code =
      `${header}export function size(kind: Kind): number {\n` +
      `  switch (kind) {\n    case 'a':\n      return 1;\n  }\n  return 0;\n}\n`;
    expect(await ruleIds(code)).toEqual(['@typescript-eslint/switch-exhaustiveness-check']);
  });

  it('reports a line over 120 characters', async () => {
    const code = `${header}export const text = '${'x'.repeat(120)}';\n`;
    expect(await ruleIds(code)).toEqual(['max-len']);
  });
});
