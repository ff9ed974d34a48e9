// Lint TypeScript sources with the recommended type-aware-free rule sets, plus the floors rule
// (eslint/floors.js): a module under src/ imports only from its own floor or a lower one.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import floors from './eslint/floors.js';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Plain Node scripts (the test runner, the lint rule itself).
    files: ['scripts/**/*.mjs', 'eslint/**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { floors },
    rules: { 'floors/floors': 'error' },
  },
);
