import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { prepareProgram } from '../../src/cli/common/run-program.js';
import { meridianError } from '../../src/errors.js';
import { captureOutput, runInProcess } from './in-process.js';

/** The in-process runner the CLI suites use: what it captures, and that it leaves the process as it found it. */

function echoProgram(): Command {
  const program = prepareProgram(new Command('echo'));
  program
    .command('say')
    .argument('<words...>')
    .option('--json')
    .action(async (words: string[], o: { json?: boolean }) => {
      await new Promise((r) => setTimeout(r, 5));
      if (o.json) process.stdout.write(`${JSON.stringify(words)}\n`);
      else console.log(words.join(' '));
      console.error('said');
    });
  program
    .command('fail')
    .option('--json')
    .action(() => {
      throw meridianError('INVALID_ARGUMENT', `fail with ${process.env.ECHO_TEST_VALUE ?? 'nothing'}`);
    });
  program.command('status').action(() => {
    process.exitCode = 3;
  });
  program.command('read').action(async () => {
    let text = '';
    for await (const chunk of process.stdin) text += String(chunk);
    process.stdout.write(`${process.stdin.isTTY ? 'tty' : 'pipe'}:${text}`);
  });
  return program;
}

describe('runInProcess', () => {
  it('captures stdout, stderr and the console in order and returns the exit status', async () => {
    const r = await runInProcess(echoProgram(), ['say', 'hello', 'world']);
    expect(r).toEqual({ code: 0, stdout: 'hello world\n', stderr: 'said\n', output: 'hello world\nsaid\n' });
    const usage = await runInProcess(echoProgram(), ['nosuch']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("unknown command 'nosuch'");
  });

  it('sets the environment for one run only and reports errors like the real program', async () => {
    delete process.env.ECHO_TEST_VALUE;
    const r = await runInProcess(echoProgram(), ['fail', '--json'], { env: { ECHO_TEST_VALUE: 'x' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^echo: error \[INVALID_ARGUMENT\]: fail with x\n {2}hint: /);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'INVALID_ARGUMENT', message: 'fail with x' });
    expect(process.env.ECHO_TEST_VALUE).toBeUndefined();
  });

  it('puts back process.exitCode, the streams and stdin, and runs concurrent calls one at a time', async () => {
    const { stdout, stderr } = process;
    const write = stdout.write;
    process.exitCode = undefined;
    const [status, a, b] = await Promise.all([
      runInProcess(echoProgram(), ['status']),
      runInProcess(echoProgram(), ['say', 'a', '--json']),
      runInProcess(echoProgram(), ['say', 'b']),
    ]);
    expect(status.code).toBe(3);
    expect(a.stdout).toBe('["a"]\n');
    expect(b.stdout).toBe('b\n');
    expect(process.exitCode).toBeUndefined();
    expect(process.stdout).toBe(stdout);
    expect(process.stderr).toBe(stderr);
    expect(process.stdout.write).toBe(write);
  });

  it('gives a pipe on stdin, or a terminal with the typed text', async () => {
    expect((await runInProcess(echoProgram(), ['read'])).stdout).toBe('pipe:');
    expect((await runInProcess(echoProgram(), ['read'], { terminalInput: 'y\n' })).stdout).toBe('tty:y\n');
    const { value, stdout } = await captureOutput(async () => {
      process.stdout.write('inside');
      return 42;
    });
    expect({ value, stdout }).toEqual({ value: 42, stdout: 'inside' });
  });
});
