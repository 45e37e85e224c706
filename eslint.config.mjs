// Type-aware lint: a forgotten await in an activity or a workflow is a real bug class here.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.conduit/', 'bench/results/', 'test-artifacts/', 'eslint.config.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      // A switch with a default handles the rest on purpose; one without must name every case.
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-unnecessary-condition': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Activities, stubs and fakes are async to satisfy Promise-returning interfaces, with or without an
      // await inside; async also turns a synchronous throw into the rejection callers handle.
      '@typescript-eslint/require-await': 'off',
      // Prettier breaks code at 120 columns but not strings or comments; this catches those (URLs may run on).
      'max-len': ['error', { code: 120, ignoreUrls: true }],
    },
  },
  {
    files: ['bin/*.js', 'test/support/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', process: 'readonly' } },
    // Plain CommonJS: the CLI's entry point (require() loads the compiled CLI) and preloads for node --require.
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
