/**
 * The order of work on the WebGPU device when some of it waits for the
 * device: what lets a `whileLoop` run on the GPU without a synchronous
 * readback.
 *
 * Normally every dispatch and copy is recorded into the pending encoder the
 * moment it is made (context.ts), and the queue keeps that order. A loop
 * whose trip count the device decides cannot be recorded at once: it records
 * a chunk of guarded iterations, reads its flag back asynchronously, and
 * records more only when the flag says so. Such a *job* runs here, in order:
 *
 * - `record(fn)` records now when nothing is waiting; while a job is in
 *   flight it queues `fn`, which runs (records) when the job is done, in the
 *   order it was made. So work issued after a loop — a consumer of its
 *   results, a readback — reaches the GPU after the loop's last iteration.
 * - `spawn(job)` starts a job in that same order (at once, or after what is
 *   queued). The job's synchronous sections (`enter`) record into a stream of
 *   their own, immediately, ahead of what waits behind the job; a loop inside
 *   a loop is a job spawned there, which holds back the rest of its parent's
 *   section the same way.
 *
 * Buffers: a buffer released while recordings that may use it are still
 * queued must not be handed to a job, whose recordings go ahead of the
 * queue. Such releases are held (`hold`) until the stream they were made in
 * has drained, then returned to the pool.
 */

/** A job: asynchronous work whose synchronous sections run inside `enter`, recording ahead of the work queued behind it. */
export type StreamJob = (enter: <T>(fn: () => T) => T) => Promise<void>;

class Stream {
  /** Recordings (and job starts) waiting for the job in flight. */
  readonly queue: (() => void)[] = [];
  /** A job spawned here is in flight. */
  busy = false;
  /** Releases made while recordings were queued here: returned to the pool once the queue drains. */
  readonly held: (() => void)[] = [];
  /** Resolved when the stream is next idle. */
  readonly waiters: (() => void)[] = [];
  constructor(readonly parent: Stream | null) {}
  get idle(): boolean {
    return !this.busy && this.queue.length === 0;
  }
}

const root = new Stream(null);
let current = root;
let jobsInFlight = 0;
const counts = { jobs: 0, deferred: 0 };

/** Whether a recording made now runs at once (nothing waits behind a job): the hot path tests this before making a closure. */
export function recordsNow(): boolean {
  return current.idle;
}

/** Whether a released buffer may go back to the pool now (see `releaseInOrder`). */
export function releasesNow(explicit: boolean): boolean {
  return explicit ? current.idle : root.idle;
}

/** Records now when nothing is waiting, else after what waits (in order). */
export function record(fn: () => void): void {
  const s = current;
  if (s.idle) fn();
  else {
    s.queue.push(fn);
    counts.deferred++;
  }
}

/** Whether recordings made now are queued behind a job (a release now is held until they run). */
export function deferring(): boolean {
  return !current.idle;
}

/** Whether any job is in flight or anything is queued (a release whose context is unknown — the collector's — is held). */
export function anyPending(): boolean {
  return !root.idle;
}

/**
 * Returns a released buffer's slot to the pool by `give` now, or once the
 * recordings that may still use it have run: `explicit` releases are made in
 * the current stream's order; the garbage collector's may come from anywhere.
 */
export function releaseInOrder(explicit: boolean, give: () => void): void {
  if (releasesNow(explicit)) give();
  else (explicit ? current : root).held.push(give);
}

/**
 * Starts a job in the current stream's order (now, or after what is queued).
 * `done` runs when the job has settled, in the stream it was spawned in,
 * before the work queued behind the job is recorded: the job releases its
 * operands there, so their buffers wait for that work (which may still read
 * them) before they go back to the pool.
 */
export function spawn(job: StreamJob, done: () => void = () => {}): void {
  const s = current;
  const start = () => {
    s.busy = true;
    jobsInFlight++;
    counts.jobs++;
    const child = new Stream(s);
    const enter = <T>(fn: () => T): T => {
      const prev = current;
      current = child;
      try {
        return fn();
      } finally {
        current = prev;
      }
    };
    let run: Promise<void>;
    try {
      run = job(enter);
    } catch (e) {
      run = Promise.reject(e);
    }
    const finish = () => {
      const prev = current;
      current = s;
      try {
        done();
      } finally {
        current = prev;
      }
      jobsInFlight--;
      s.busy = false;
      drain(s);
    };
    // a job handles its own failures (it pins them on its results); the stream goes on either way
    run.then(
      () => whenIdle(child).then(finish),
      () => whenIdle(child).then(finish),
    );
  };
  if (s.idle) start();
  else {
    s.queue.push(start);
    counts.deferred++;
  }
}

function whenIdle(s: Stream): Promise<void> {
  return s.idle ? Promise.resolve() : new Promise((resolve) => s.waiters.push(resolve));
}

/**
 * Where a recording that throws when it finally runs reports (context.ts: the
 * next read throws it): it runs after a loop, long after the call that made it returned.
 */
let reportError: (e: unknown) => void = () => {};
export function onDeferredError(report: (e: unknown) => void): void {
  reportError = report;
}

/** Runs a stream's queue in order until it is empty or a job it starts makes it wait again. */
function drain(s: Stream): void {
  const prev = current;
  current = s;
  try {
    while (!s.busy && s.queue.length > 0) {
      try {
        s.queue.shift()!();
      } catch (e) {
        reportError(e);
      }
    }
  } finally {
    current = prev;
  }
  if (!s.idle) return;
  for (const give of s.held.splice(0)) give();
  for (const w of s.waiters.splice(0)) w();
}

/** Jobs in flight now, jobs started and recordings queued behind a job so far (tests, stats). */
export function streamStats(): { inFlight: number; jobs: number; deferred: number } {
  return { inFlight: jobsInFlight, ...counts };
}
