import { meridianError } from '../../errors.js';

/**
 * Ctrl-C (SIGINT) and SIGTERM during a butler write. The first signal aborts the write's AbortSignal: the library
 * call throws ABORTED inside its registry transaction, which rolls back, and the files it placed are removed by the
 * same path as any other failure; the program then exits with 128 + the signal number (130, 143), as shells expect.
 * A second signal, or a signal outside a write, ends the process at once, which is safe as well: a killed write
 * leaves only orphan or temporary files, which its retry replaces or `butler cleanup` removes (docs/datastore.md).
 */

const SIGNAL_NUMBERS = { SIGINT: 2, SIGTERM: 15 } as const;
type HandledSignal = keyof typeof SIGNAL_NUMBERS;

let current: AbortController | undefined;
let received: HandledSignal | undefined;

function onSignal(signal: HandledSignal): void {
  const status = 128 + SIGNAL_NUMBERS[signal];
  if (received !== undefined || current === undefined) process.exit(status);
  received = signal;
  process.stderr.write(
    `butler: ${signal} received; rolling back the write (send it again to stop at once)\n`,
  );
  current.abort(meridianError('ABORTED', `interrupted by ${signal}`, { signal }));
}

/** Installs the handlers for one run of the program; returns the function that removes them again. */
export function installInterruptHandlers(): () => void {
  received = undefined;
  const handlers = (Object.keys(SIGNAL_NUMBERS) as HandledSignal[]).map((signal) => {
    const handler = () => onSignal(signal);
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  return () => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  };
}

/** Runs a write with an AbortSignal that the first SIGINT/SIGTERM fires. */
export async function interruptible<T>(write: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  current = controller;
  try {
    return await write(controller.signal);
  } finally {
    if (current === controller) current = undefined;
  }
}

/** The exit status a received signal calls for (130 for SIGINT, 143 for SIGTERM), or undefined. */
export function interruptedStatus(): number | undefined {
  return received === undefined ? undefined : 128 + SIGNAL_NUMBERS[received];
}
