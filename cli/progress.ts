/**
 * A progress bar for the plan build (createEngine's onProgress): redrawn in place on a terminal, one line per phase
 * otherwise (logs and pipes get no carriage returns).
 */

/** `[#########---------------] 1/3 optimize (0.8 s)` */
export function renderProgress(phase: string, step: number, steps: number, elapsedMs: number, width = 24): string {
  const frac = steps > 0 ? Math.min(Math.max(step / steps, 0), 1) : 1;
  const done = Math.round(frac * width);
  return `[${"#".repeat(done)}${"-".repeat(width - done)}] ${step}/${steps} ${phase} (${(elapsedMs / 1000).toFixed(1)} s)`;
}

/** An onProgress callback that writes to `write`; on a terminal it redraws one line and ends it when done. */
export function progressReporter(
  write: (text: string) => void,
  terminal: boolean,
  now: () => number = () => performance.now(),
): (phase: string, step: number, steps: number) => void {
  const t0 = now();
  return (phase, step, steps) => {
    const line = `building: ${renderProgress(phase, step, steps, now() - t0)}`;
    if (terminal) write(`\r${line}${step >= steps ? "\n" : ""}`);
    else write(`${line}\n`);
  };
}
