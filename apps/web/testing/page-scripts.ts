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
