import { afterEach, describe, expect, it } from 'vitest';
import {
  formatDuration,
  formatProgressLine,
  ProgressReporter,
  progressEnabled,
} from '../../src/cli/common/progress.js';

/** A stream that records what is written, claiming to be a terminal or not. */
function recorder(isTTY: boolean, columns?: number) {
  const writes: string[] = [];
  return {
    writes,
    stream: { isTTY, columns, write: (text: string) => writes.push(text) > 0 },
  };
}

/** A clock the test steps by hand. */
function manualClock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

const savedForce = process.env.MERIDIAN_PROGRESS;
afterEach(() => {
  if (savedForce === undefined) delete process.env.MERIDIAN_PROGRESS;
  else process.env.MERIDIAN_PROGRESS = savedForce;
});

describe('progress line format', () => {
  it('shows a bar, percentage, count, rate and time left when the total is known', () => {
    const line = formatProgressLine({ phase: 'raws', done: 25, total: 100, unit: 'files' }, 5);
    expect(line).toBe('raws [######------------------]  25% 25/100 files, 5.0 files/s, 0:15 left');
  });

  it('shows a plain counter without a total, and no rate before one is measured', () => {
    expect(formatProgressLine({ phase: 'rows', done: 1234567, unit: 'rows' }, undefined)).toBe(
      'rows 1,234,567 rows',
    );
    expect(formatProgressLine({ phase: 'rows', done: 5000 }, 2500)).toBe('rows 5,000, 2,500/s');
  });

  it('formats durations as m:ss or h:mm:ss', () => {
    expect(formatDuration(9)).toBe('0:09');
    expect(formatDuration(754)).toBe('12:34');
    expect(formatDuration(3723)).toBe('1:02:03');
  });
});

describe('ProgressReporter', () => {
  it('is silent when the stream is not a terminal', () => {
    delete process.env.MERIDIAN_PROGRESS;
    const { writes, stream } = recorder(false);
    const reporter = new ProgressReporter({ stream });
    expect(reporter.enabled).toBe(false);
    reporter.update({ phase: 'x', done: 1, total: 2 });
    reporter.waiting('a lock');
    reporter.end();
    expect(writes).toEqual([]);
  });

  it('draws in place on a terminal and ends with the final state on its own line', () => {
    delete process.env.MERIDIAN_PROGRESS;
    const clock = manualClock();
    const { writes, stream } = recorder(true);
    const reporter = new ProgressReporter({ stream, now: clock.now });
    expect(reporter.enabled).toBe(true);
    reporter.update({ phase: 'files', done: 0, total: 4, unit: 'files' });
    for (let done = 1; done <= 4; done++) {
      clock.advance(1000);
      reporter.update({ phase: 'files', done, total: 4, unit: 'files' });
    }
    reporter.end();
    expect(writes.every((w, i) => (i === writes.length - 1 ? w === '\n' : w.startsWith('\r')))).toBe(true);
    expect(writes).toHaveLength(6);
    expect(writes[2]).toContain('2/4 files, 1.0 files/s, 0:02 left');
    expect(writes[4]).toContain('100% 4/4 files');
    expect(writes[4]).not.toContain('left');
  });

  it('redraws at most once per 100 ms but always shows the last state at the end', () => {
    const clock = manualClock();
    const { writes, stream } = recorder(true);
    const reporter = new ProgressReporter({ stream, now: clock.now, enabled: true });
    for (let done = 1; done <= 1000; done++) {
      clock.advance(1); // 1000 updates in one second
      reporter.update({ phase: 'rows', done, total: 1000 });
    }
    const redraws = writes.length;
    expect(redraws).toBeGreaterThanOrEqual(9);
    expect(redraws).toBeLessThanOrEqual(11);
    reporter.end();
    expect(writes.at(-2)).toContain('1,000/1,000');
    expect(writes.at(-1)).toBe('\n');
  });

  it('clears the line instead when told to (a failed command reports its error on a clean line)', () => {
    const { writes, stream } = recorder(true);
    const reporter = new ProgressReporter({ stream, enabled: true });
    reporter.update({ phase: 'x', done: 1, total: 2 });
    reporter.end({ clear: true });
    expect(writes.at(-1)).toBe('\r\x1b[K');
  });

  it('prints a waiting line on its own and redraws the progress below it', () => {
    const clock = manualClock();
    const { writes, stream } = recorder(true);
    const reporter = new ProgressReporter({ stream, now: clock.now, enabled: true });
    reporter.update({ phase: 'ingesting', done: 3, total: 9 });
    reporter.waiting('the write lock of the registry r.sqlite3');
    expect(writes.slice(1)).toEqual([
      '\r\x1b[K',
      'waiting for the write lock of the registry r.sqlite3…\n',
      expect.stringContaining('3/9'),
    ]);
  });

  it('gives a delayed waiting notice only when the wait outlasts the delay', async () => {
    const { writes, stream } = recorder(true);
    const reporter = new ProgressReporter({ stream, enabled: true });
    const stopQuick = reporter.waitNotice('a quick lock', 50);
    stopQuick();
    reporter.waitNotice('a slow lock', 10);
    await new Promise((r) => setTimeout(r, 100));
    expect(writes).toEqual(['waiting for a slow lock…\n']);
  });

  it('cuts the line to the terminal width', () => {
    const { writes, stream } = recorder(true, 20);
    const reporter = new ProgressReporter({ stream, enabled: true });
    reporter.update({ phase: 'a very long phase name indeed', done: 1, total: 2 });
    expect(writes[0]).toBe('\ra very long phase …\x1b[K');
  });

  it('MERIDIAN_PROGRESS=1 forces it on without a terminal and =0 off on one', () => {
    process.env.MERIDIAN_PROGRESS = '1';
    expect(progressEnabled({ isTTY: false, write: () => true })).toBe(true);
    process.env.MERIDIAN_PROGRESS = '0';
    expect(progressEnabled({ isTTY: true, write: () => true })).toBe(false);
    delete process.env.MERIDIAN_PROGRESS;
    expect(progressEnabled({ isTTY: true, write: () => true })).toBe(true);
    expect(progressEnabled({ write: () => true })).toBe(false);
  });
});
