// Scripts that run inside the page, as strings: the test programs are typechecked without DOM types.

/** Records each distinct point count of a chart (by data-testid) in window.__points, from first paint on. */
export function recordChartPoints(testId: string): string {
  return `(() => {
    const seen = [];
    window.__points = seen;
    const record = () => {
      const el = document.querySelector('[data-testid="${testId}"]');
      const n = Number(el ? el.getAttribute("data-points") : -1);
      if (n >= 0 && seen[seen.length - 1] !== n) seen.push(n);
    };
    new MutationObserver(record).observe(document, { subtree: true, childList: true, attributes: true });
  })()`;
}

export const READ_POINTS = "window.__points || []";
/** A marker that survives client-side updates but not a reload. */
export const MARK_DOCUMENT = "window.__sameDocument = true";
export const READ_MARK = "window.__sameDocument === true";
export const READ_COOKIE = "document.cookie";

/**
 * How many pixels of a chart's canvas (by data-testid) are drawn in each of `colors` (hex, e.g.
 * a line's colour), or null without a canvas: a drawn line leaves its colour on the canvas,
 * an empty or blank chart none. Anti-aliased edges are counted within a small tolerance.
 */
export function chartInk(testId: string, colors: string[]): string {
  const rgb = colors.map((hex) => [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)));
  return `(() => {
    const canvas = document.querySelector('[data-testid="${testId}"] canvas');
    if (!canvas) return null;
    const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
    const want = ${JSON.stringify(rgb)};
    const counts = want.map(() => 0);
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3] < 200) continue;
      want.forEach(([r, g, b], k) => {
        if (Math.abs(data[i] - r) + Math.abs(data[i + 1] - g) + Math.abs(data[i + 2] - b) < 40) counts[k]++;
      });
    }
    return counts;
  })()`;
}
