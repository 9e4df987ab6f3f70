/**
 * Progress for long commands, on stderr and only on a terminal: one line redrawn in place (`\r`), at most ten
 * times a second, with a bar (when the total is known), the count, the rate and the time left. A pipe or a test
 * sees nothing at all, so stdout documents and stderr error reports stay exactly as they were.
 * `MERIDIAN_PROGRESS=1` forces it on (for tests and for `2> log` users who want it), `MERIDIAN_PROGRESS=0` off.
 */

/** What a library reports through its `onProgress` option (the same shape in every module). */
export interface ProgressUpdate {
  readonly phase: string;
  readonly done: number;
  readonly total?: number;
  readonly unit?: string;
}

/** The part of a stream the reporter needs; process.stderr by default. */
export interface ProgressStream {
  write(text: string): boolean;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface ProgressReporterOptions {
  readonly stream?: ProgressStream;
  /** Force on or off; default: on when the stream is a terminal, unless MERIDIAN_PROGRESS says otherwise. */
  readonly enabled?: boolean;
  /** Shortest time between two redraws, in ms (default 100: at most ten redraws a second). */
  readonly minIntervalMs?: number;
  /** Clock in ms, replaceable so that tests can step time. */
  readonly now?: () => number;
}

/** Whether progress should be drawn on `stream`: MERIDIAN_PROGRESS=1/0 decides if set, else whether it is a TTY. */
export function progressEnabled(stream: ProgressStream = process.stderr): boolean {
  const forced = process.env.MERIDIAN_PROGRESS;
  if (forced === '1') return true;
  if (forced === '0') return false;
  return stream.isTTY === true;
}

const BAR_WIDTH = 24;
/** Erase from the cursor to the end of the line (ANSI EL). */
const ERASE_LINE = '\x1b[K';

function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** `0:42`, `12:05`, `1:02:03`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** One progress line (without `\r`), e.g. `raws [#########---------------]  38% 23/60 files, 4.1 files/s, 0:09 left`. */
export function formatProgressLine(update: ProgressUpdate, ratePerSecond: number | undefined): string {
  const unit = update.unit === undefined ? '' : ` ${update.unit}`;
  const parts: string[] = [update.phase];
  if (update.total !== undefined && update.total > 0) {
    const fraction = Math.min(1, Math.max(0, update.done / update.total));
    const filled = Math.round(fraction * BAR_WIDTH);
    parts.push(
      `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}%`,
    );
    parts.push(`${formatCount(update.done)}/${formatCount(update.total)}${unit}`);
  } else {
    parts.push(`${formatCount(update.done)}${unit}`);
  }
  let line = parts.join(' ');
  if (ratePerSecond !== undefined && ratePerSecond > 0) {
    const rate = ratePerSecond >= 100 ? formatCount(ratePerSecond) : ratePerSecond.toFixed(1);
    line += `, ${rate}${unit}/s`;
    if (update.total !== undefined && update.done < update.total) {
      line += `, ${formatDuration((update.total - update.done) / ratePerSecond)} left`;
    }
  }
  return line;
}

/**
 * A progress line on stderr. Give `update` as the `onProgress` callback of a library call, `waiting` as its
 * `onWait`; call `end` when the work is over (in a `finally`), and print stdout lines meanwhile through
 * `println` so they do not land in the middle of the progress line.
 */
export class ProgressReporter {
  readonly enabled: boolean;
  private readonly stream: ProgressStream;
  private readonly minIntervalMs: number;
  private readonly now: () => number;
  private last: ProgressUpdate | undefined;
  private lastDrawAt = Number.NEGATIVE_INFINITY;
  private drawnLength = 0;
  private undrawn = false;
  /** Where the rate is measured from: reset when the unit or total changes or the count goes back. */
  private rateStart: { key: string; at: number; done: number } | undefined;

  constructor(options: ProgressReporterOptions = {}) {
    this.stream = options.stream ?? process.stderr;
    this.enabled = options.enabled ?? progressEnabled(this.stream);
    this.minIntervalMs = options.minIntervalMs ?? 100;
    this.now = options.now ?? (() => performance.now());
  }

  /** Record the latest state; redraw unless the last redraw was less than `minIntervalMs` ago. */
  readonly update = (update: ProgressUpdate): void => {
    if (!this.enabled) return;
    const at = this.now();
    // The phase is a label (sim catalogs names the table of each file); the count goes on across it.
    const key = `${update.unit ?? ''}\u0000${update.total ?? ''}`;
    if (this.rateStart?.key !== key || update.done < this.rateStart.done) {
      this.rateStart = { key, at, done: update.done };
    }
    this.last = update;
    if (at - this.lastDrawAt < this.minIntervalMs) {
      this.undrawn = true;
      return;
    }
    this.draw(at);
  };

  /** Say, on its own line, what the command is waiting for (a lock another process holds). */
  readonly waiting = (what: string): void => {
    if (!this.enabled) return;
    this.clearLine();
    this.stream.write(`waiting for ${what}…\n`);
    if (this.last !== undefined) this.draw(this.now());
  };

  /**
   * Call `waiting(what)` if the returned `stop` has not been called within `delayMs` (default 1 s): for waits
   * that are usually short and are only worth a word when they are not.
   */
  waitNotice(what: string, delayMs = 1000): () => void {
    if (!this.enabled) return () => undefined;
    const timer = setTimeout(() => this.waiting(what), delayMs);
    timer.unref();
    return () => clearTimeout(timer);
  }

  /** Print a line on stdout without breaking the progress line: clear it, print, redraw it. */
  println(line: string): void {
    this.clearLine();
    process.stdout.write(`${line}\n`);
    if (this.enabled && this.last !== undefined) this.draw(this.now());
  }

  /** Draw the final state (if a redraw was skipped) and end the line, or with `clear` remove it. */
  end(options: { clear?: boolean } = {}): void {
    if (!this.enabled) return;
    if (options.clear) this.clearLine();
    else {
      if (this.undrawn && this.last !== undefined) this.draw(this.now());
      if (this.drawnLength > 0) this.stream.write('\n');
    }
    this.drawnLength = 0;
    this.last = undefined;
    this.undrawn = false;
    this.rateStart = undefined;
  }

  private draw(at: number): void {
    const update = this.last;
    if (update === undefined) return;
    const elapsed = this.rateStart === undefined ? 0 : (at - this.rateStart.at) / 1000;
    const rate =
      this.rateStart !== undefined && elapsed >= 0.5
        ? (update.done - this.rateStart.done) / elapsed
        : undefined;
    let line = formatProgressLine(update, rate);
    const columns = this.stream.columns;
    if (columns !== undefined && columns > 10 && line.length >= columns)
      line = `${line.slice(0, columns - 2)}…`;
    this.stream.write(`\r${line}${ERASE_LINE}`);
    this.drawnLength = line.length;
    this.lastDrawAt = at;
    this.undrawn = false;
  }

  private clearLine(): void {
    if (this.drawnLength > 0) this.stream.write(`\r${ERASE_LINE}`);
    this.drawnLength = 0;
  }
}

/** A reporter on process.stderr, on when stderr is a terminal (or MERIDIAN_PROGRESS=1). */
export function progressReporter(options: ProgressReporterOptions = {}): ProgressReporter {
  return new ProgressReporter(options);
}

/**
 * Run `work` with a reporter and end it afterwards: with the final state on success, cleared on failure so that
 * the error report starts on a clean line.
 */
export async function withProgress<T>(work: (reporter: ProgressReporter) => Promise<T>): Promise<T> {
  const reporter = progressReporter();
  let ok = false;
  try {
    const value = await work(reporter);
    ok = true;
    return value;
  } finally {
    reporter.end({ clear: !ok });
  }
}
