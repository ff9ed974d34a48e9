// The floors lint rule (eslint/floors.js, on in eslint.config.js): an upward import fails `npm run lint`,
// a downward or same-floor import passes, and a file outside every floor is reported.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const Root = fileURLToPath(new URL('../../../', import.meta.url));

async function lint(file: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: Root });
  const [result] = await eslint.lintText(code, { filePath: `${Root}${file}` });
  return result.messages.filter((m) => m.ruleId === 'floors/floors').map((m) => m.message);
}

describe('floors lint rule', () => {
  const cases: { file: string; imports: string; upward: boolean }[] = [
    { file: 'src/grammar/new.ts', imports: '../http/errors.js', upward: true },
    { file: 'src/http/new.ts', imports: '../features/admin.js', upward: true },
    { file: 'src/features/new.ts', imports: '../app/app.js', upward: true },
    { file: 'src/app/new.ts', imports: '../runtime/supervisor.js', upward: true },
    { file: 'src/runtime/new.ts', imports: '../cli.js', upward: true },
    { file: 'src/config/new.ts', imports: '../http/respond.js', upward: true },
    { file: 'src/features/new.ts', imports: '../http/respond.js', upward: false },
    { file: 'src/http/new.ts', imports: '../grammar/duration.js', upward: false },
    { file: 'src/http/new.ts', imports: './respond.js', upward: false },
    { file: 'src/cli.ts', imports: './runtime/supervisor.js', upward: false },
  ];
  for (const c of cases) {
    test(`${c.file} importing ${c.imports}: ${c.upward ? 'an error' : 'allowed'}`, async () => {
      const messages = await lint(c.file, `import type { X } from '${c.imports}';\nexport type Y = X;\n`);
      if (c.upward) {
        assert.equal(messages.length, 1, `expected one floors error, got ${JSON.stringify(messages)}`);
        assert.match(messages[0], /may not import/);
      } else {
        assert.deepEqual(messages, []);
      }
    });
  }

  test('dynamic imports count too', async () => {
    const messages = await lint('src/grammar/new.ts', "export const m = () => import('../runtime/worker.js');\n");
    assert.equal(messages.length, 1);
  });

  test('a source file in no floor is reported', async () => {
    const messages = await lint('src/elsewhere/new.ts', "import { x } from '../grammar/duration.js';\nexport const y = x;\n");
    assert.match(messages[0] ?? '', /in no floor/);
  });
});
