// Colours of the current theme for what is drawn on a canvas (uPlot axes): a canvas does not
// resolve CSS (currentColor paints black), so axis text takes the theme's text colour as a value.

/** The theme's text colour (--fg on the root element), or a grey readable on both themes. */
export function themeTextColour(root: Element | undefined = typeof document === 'undefined' ? undefined : document.documentElement): string {
  const fg = root ? getComputedStyle(root).getPropertyValue('--fg').trim() : '';
  return fg || '#888888';
}

/** The colour uPlot actually strokes axis `k` with (its option may be a value or a function). */
export function axisStroke(plot: { axes: { stroke?: unknown }[] }, k: number): string {
  const s = plot.axes[k]?.stroke;
  return typeof s === 'function' ? String(s(plot, k)) : String(s ?? '');
}
