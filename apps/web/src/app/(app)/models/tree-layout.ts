export interface TreeItem {
  id: string;
  parentId: string | null;
}

export interface Placed {
  id: string;
  x: number;
  y: number;
  depth: number;
}

const X_GAP = 220;
const Y_GAP = 130;

/**
 * Tidy-enough tree layout: leaves take consecutive columns, a parent sits over the middle of
 * its children, each level one row lower. Several roots sit side by side.
 */
export function layoutForest(items: TreeItem[]): Placed[] {
  const ids = new Set(items.map((i) => i.id));
  const children = new Map<string, string[]>();
  const roots: string[] = [];
  for (const item of items) {
    if (item.parentId && ids.has(item.parentId)) {
      const list = children.get(item.parentId) ?? [];
      list.push(item.id);
      children.set(item.parentId, list);
    } else {
      roots.push(item.id);
    }
  }
  const placed = new Map<string, Placed>();
  let column = 0;
  const place = (id: string, depth: number): number => {
    if (placed.has(id)) return placed.get(id)?.x ?? 0;
    const kids = children.get(id) ?? [];
    let x: number;
    if (kids.length === 0) {
      x = column * X_GAP;
      column += 1;
    } else {
      const xs = kids.map((k) => place(k, depth + 1));
      x = ((xs[0] ?? 0) + (xs[xs.length - 1] ?? 0)) / 2;
    }
    placed.set(id, { id, x, y: depth * Y_GAP, depth });
    return x;
  };
  for (const root of roots) {
    place(root, 0);
    column += 0.5;
  }
  return [...placed.values()];
}
