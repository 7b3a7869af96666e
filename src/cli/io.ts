/** What a CLI command may touch, so commands run in-process in tests with captured output. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Whether stderr is an interactive terminal (progress bars only then). */
  isTTY: boolean;
  cwd: string;
  /** Set when the user asked to stop (Ctrl-C): commands finish the current minibatch and exit 130. */
  interrupted?: () => boolean;
  /** The terminal stream behind stderr, for the progress bar (absent in tests). */
  stderrStream?: NodeJS.WritableStream;
  /** What an input named `-` reads (process.stdin; a test's stream). */
  stdin?: NodeJS.ReadableStream;
}

export function processIo(): CliIo {
  let stop = false;
  let stdoutClosed = false;
  process.once('SIGINT', () => {
    stop = true;
  });
  // The reader went away (`ebp predict m.ebpb big.csv | head`): drop further output and stop as on Ctrl-C.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    stdoutClosed = true;
    stop = true;
  });
  let stderrClosed = false;
  process.stderr.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    stderrClosed = true;
  });
  return {
    stdout: (t) => {
      if (!stdoutClosed) process.stdout.write(t);
    },
    stderr: (t) => {
      if (!stderrClosed) process.stderr.write(t);
    },
    isTTY: Boolean(process.stderr.isTTY),
    cwd: process.cwd(),
    interrupted: () => stop,
    stderrStream: process.stderr,
    stdin: process.stdin,
  };
}

/** An io that records everything (tests). */
export function memoryIo(opts: { cwd?: string; interrupted?: () => boolean; stdin?: NodeJS.ReadableStream } = {}): CliIo & { out: string[]; err: string[]; stdoutText(): string; stderrText(): string } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: (t) => void out.push(t),
    stderr: (t) => void err.push(t),
    isTTY: false,
    cwd: opts.cwd ?? process.cwd(),
    interrupted: opts.interrupted,
    stdin: opts.stdin,
    stdoutText: () => out.join(''),
    stderrText: () => err.join(''),
  };
}
