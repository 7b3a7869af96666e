/**
 * Driving a training loop written as a generator that yields after every minibatch: to completion in one go
 * (`fit`), or in slices that give the event loop a turn every `sliceMs` milliseconds (`fitAsync`, so that a
 * Ctrl-C handler and other I/O run between minibatches). Both run the same loop, so the results are identical.
 * A loop may yield a {@link Pause}: something the async driver awaits before it goes on (threads that must start
 * while the event loop runs, in a browser); the sync driver goes straight on.
 */
import { ArgumentError } from '../errors';

/** A wait the async driver awaits (the sync driver does not): e.g. until worker threads have started. */
export type Pause = () => Promise<void>;

/** Run the generator to its end synchronously. */
export function driveSync<T>(loop: Generator<void | Pause, T, void>): T {
  for (;;) {
    const r = loop.next();
    if (r.done) return r.value;
  }
}

/** Run the generator to its end, yielding to the event loop (a macrotask) after every `sliceMs` of work. */
export async function driveAsync<T>(loop: Generator<void | Pause, T, void>, sliceMs = 50): Promise<T> {
  if (!(typeof sliceMs === 'number' && sliceMs >= 0)) throw new ArgumentError(`invalid argument. \`sliceMs\` must be a non-negative number. Value: \`${sliceMs}\`.`);
  let since = performance.now();
  for (;;) {
    const r = loop.next();
    if (r.done) return r.value;
    if (typeof r.value === 'function') {
      await r.value();
      since = performance.now();
    } else if (performance.now() - since >= sliceMs) {
      await new Promise<void>((resolve) => setTimeout(resolve, 0));
      since = performance.now();
    }
  }
}
