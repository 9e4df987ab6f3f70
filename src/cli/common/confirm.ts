import { createInterface } from 'node:readline/promises';
import { meridianError } from '../../errors.js';

/**
 * Ask before a destructive action. Without a terminal on stdin nobody can answer, so instead of hanging a script
 * this refuses with INVALID_ARGUMENT and names the flag that skips the question.
 */
export async function confirmOrRefuse(
  question: string,
  options: { confirm: boolean; flag?: string },
): Promise<boolean> {
  if (!options.confirm) return true;
  const flag = options.flag ?? '--no-confirm';
  if (!process.stdin.isTTY) {
    throw meridianError(
      'INVALID_ARGUMENT',
      `refusing to ask for confirmation without a terminal (stdin is not a TTY); pass ${flag} to proceed`,
      { flag },
    );
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
