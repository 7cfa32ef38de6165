/**
 * fit's History (Keras's): the logs of every epoch, which draws itself as
 * training curves (SVG) and shows them in a notebook.
 * @module
 */
import type { EpochLogs } from "./fit.ts";
import { historyChart, type HistoryChartOptions, historyText } from "../viz/chart.ts";
import { JUPYTER_DISPLAY, type MediaBundle, svgBundle } from "../viz/html.ts";

/**
 * Per-epoch history of fit, as Keras's History: `history.history.loss[epoch]`. It draws itself: `toSvg()` gives
 * the training curves, and a notebook shows them.
 *
 * @example
 * ```ts
 * import { History } from "./history.ts";
 * const h = new History();
 * h.record(0, { loss: 0.9, val_loss: 1.1 });
 * h.record(1, { loss: 0.4, val_loss: 0.7 });
 * console.log(h.history.loss, (await h.toSvg()).startsWith("<svg")); // [ 0.9, 0.4 ] true
 * ```
 */
export class History {
  /** The epochs run (0-based). */
  epoch: number[] = [];
  /** Per log key (`loss`, `accuracy`, `val_loss`, …), one value per epoch. */
  history: Record<string, number[]> = {};

  /** Appends an epoch's logs (fit calls it as each epoch ends). */
  record(epoch: number, logs: EpochLogs): void {
    this.epoch.push(epoch);
    for (const [k, value] of Object.entries(logs)) (this.history[k] ??= []).push(value);
  }

  /**
   * The training curves as an SVG document: a panel per metric (default every logged metric but `val_*`, flip
   * ratios and `lr`), train solid, validation dashed, x the epoch.
   */
  toSvg(options: HistoryChartOptions = {}): Promise<string> {
    return historyChart(this, options);
  }

  /** The epoch count, then per logged key its first and last values. */
  toString(): string {
    return historyText(this);
  }

  /** What a notebook shows: the curves (SVG), with {@link History.toString}'s text as the plain twin. */
  async [JUPYTER_DISPLAY](): Promise<MediaBundle> {
    return this.epoch.length ? svgBundle(await this.toSvg(), String(this)) : { "text/plain": String(this) };
  }
}
