// A grouped bar chart as hand-written SVG (no dependencies): one group per
// mode, one bar per server, values labelled above the bars.
import { formatRate } from './report.js';

/** What to draw: values[g][s] is the bar of series s in group g. */
export interface BarChart {
  title: string;
  subtitle?: string;
  yLabel: string;
  groups: readonly string[];
  series: readonly string[];
  values: readonly (readonly number[])[];
}

const Colors = ['#2f6fdf', '#7fa8ef', '#3a9a5b', '#d08a2e', '#a04ab0', '#777777'];

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
}

// A round axis maximum: 1, 2 or 5 × 10^k at or above max.
function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  const step = [1, 2, 5, 10].find((m) => m * power >= max) ?? 10;
  return step * power;
}

/** The SVG document of a grouped bar chart. */
export function groupedBarChart(chart: BarChart): string {
  const width = 760;
  const height = 420;
  const left = 80;
  const right = 20;
  const top = chart.subtitle === undefined ? 50 : 66;
  const bottom = 80;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const all = chart.values.flat();
  const yMax = niceMax(Math.max(0, ...all));
  const y = (v: number): number => top + plotH - (v / yMax) * plotH;
  const groupW = plotW / Math.max(1, chart.groups.length);
  const barW = (groupW * 0.8) / Math.max(1, chart.series.length);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">${escapeXml(chart.title)}</text>`,
  ];
  if (chart.subtitle !== undefined) out.push(`<text x="${width / 2}" y="44" text-anchor="middle" fill="#555">${escapeXml(chart.subtitle)}</text>`);
  for (let i = 0; i <= 5; i++) {
    const v = (yMax * i) / 5;
    const yy = y(v).toFixed(1);
    out.push(`<line x1="${left}" y1="${yy}" x2="${width - right}" y2="${yy}" stroke="#e0e0e0"/>`);
    out.push(`<text x="${left - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle" fill="#555">${formatRate(v)}</text>`);
  }
  out.push(
    `<text transform="translate(16 ${top + plotH / 2}) rotate(-90)" text-anchor="middle" fill="#333">${escapeXml(chart.yLabel)}</text>`,
    `<line x1="${left}" y1="${top + plotH}" x2="${width - right}" y2="${top + plotH}" stroke="#333"/>`,
  );
  chart.groups.forEach((group, g) => {
    const x0 = left + g * groupW + groupW * 0.1;
    chart.series.forEach((_, s) => {
      const v = chart.values[g]?.[s] ?? 0;
      const x = x0 + s * barW;
      const yy = y(v);
      out.push(
        `<rect x="${(x + 2).toFixed(1)}" y="${yy.toFixed(1)}" width="${(barW - 4).toFixed(1)}" height="${(top + plotH - yy).toFixed(1)}" fill="${Colors[s % Colors.length]}"/>`,
        `<text x="${(x + barW / 2).toFixed(1)}" y="${(yy - 4).toFixed(1)}" text-anchor="middle" font-size="11">${formatRate(v)}</text>`,
      );
    });
    out.push(`<text x="${(left + g * groupW + groupW / 2).toFixed(1)}" y="${top + plotH + 20}" text-anchor="middle" font-size="13">${escapeXml(group)}</text>`);
  });
  const legendY = height - 24;
  const legendStep = plotW / Math.max(1, chart.series.length);
  chart.series.forEach((name, s) => {
    const x = left + s * legendStep;
    out.push(
      `<rect x="${x.toFixed(1)}" y="${legendY - 10}" width="12" height="12" fill="${Colors[s % Colors.length]}"/>`,
      `<text x="${(x + 18).toFixed(1)}" y="${legendY}" fill="#333">${escapeXml(name)}</text>`,
    );
  });
  out.push('</svg>', '');
  return out.join('\n');
}
