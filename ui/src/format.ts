// Text for numbers the contract carries: time left in a session, a duration in seconds.

import type { SessionView } from "./ipc";

export interface SessionLabel {
  text: string;
  /** `active`, `expired` or `never`, for the colour. */
  state: "active" | "expired" | "never";
}

/**
 * The session column: "42m left", "1h 5m left", "expired" or "—".
 * `elapsedSecs` is the time since the list was fetched, so the label keeps counting down
 * between `rolecall://changed` events without asking the backend again.
 */
export function sessionLabel(session: SessionView, elapsedSecs = 0): SessionLabel {
  if (session.state === "never") return { text: "—", state: "never" };
  if (session.state === "expired") return { text: "expired", state: "expired" };
  if (session.secondsLeft === null) return { text: "active", state: "active" };
  const left = session.secondsLeft - elapsedSecs;
  if (left <= 0) return { text: "expired", state: "expired" };
  return { text: `${timeLeft(left)} left`, state: "active" };
}

/** "1h 5m", "42m", "<1m". */
export function timeLeft(secs: number): string {
  if (secs < 60) return "<1m";
  const h = Math.floor(secs / 3600);
  const m = Math.floor((secs % 3600) / 60);
  if (h === 0) return `${m}m`;
  return m === 0 ? `${h}h` : `${h}h ${m}m`;
}

/** A duration as the form takes it back: "1h", "45m", "1h30m", else plain seconds. */
export function durationText(secs: number): string {
  if (secs > 0 && secs % 60 === 0) {
    const h = Math.floor(secs / 3600);
    const m = (secs % 3600) / 60;
    if (h === 0) return `${m}m`;
    return m === 0 ? `${h}h` : `${h}h${m}m`;
  }
  return String(secs);
}

/**
 * An ARN without the `arn:aws:iam::` or `arn:aws:sts::` that commercial roles and identities
 * share, to fit a narrow column: `210987654321:role/Admin`. Other partitions stay whole.
 */
export function shortArn(arn: string): string {
  const m = /^arn:aws:(iam|sts)::/.exec(arn);
  return m ? arn.slice(m[0].length) : arn;
}
