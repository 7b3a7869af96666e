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
}

export function processIo(): CliIo {
  let stop = false;
  process.once('SIGINT', () => {
    stop = true;
  });
  return {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    isTTY: Boolean(process.stderr.isTTY),
    cwd: process.cwd(),
    interrupted: () => stop,
    stderrStream: process.stderr,
  };
}

/** An io that records everything (tests). */
export function memoryIo(opts: { cwd?: string; interrupted?: () => boolean } = {}): CliIo & { out: string[]; err: string[]; stdoutText(): string; stderrText(): string } {
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
    stdoutText: () => out.join(''),
    stderrText: () => err.join(''),
  };
}
