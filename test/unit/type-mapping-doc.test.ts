import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderTypeMapping } from '../../src/docs/type-mapping';

describe('docs/type-mapping.md', () => {
  it('matches what the code does (regenerate with `npm run docs`)', () => {
    const committed = readFileSync(resolve(__dirname, '../../docs/type-mapping.md'), 'utf8');
    expect(committed).toBe(renderTypeMapping());
  });
});
