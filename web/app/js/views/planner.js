// The planner's figures: KPI cards, the building × floor heat map (ECharts, loaded only
// here) and the hotspots; every figure opens the tickets it counts.

import { call } from '../api.js';
import { h } from '../dom.js';
import { duration, t } from '../i18n.js';
import { go } from '../main.js';
import { attempt } from '../ui.js';

// [label key, the row's value shown, the figure whose tickets a click opens]
const CARDS = [
  ['kpi.raised', (r) => r.raised, 'raised'],
  ['kpi.resolved', (r) => r.resolved, 'resolved'],
  ['kpi.backlog', (r) => r.backlog, 'backlog'],
  ['kpi.response_p50', (r) => r.response_time_p50_s != null && duration(r.response_time_p50_s), 'raised'],
  ['kpi.resolve_p50', (r) => r.resolve_time_p50_s != null && duration(r.resolve_time_p50_s), 'resolved'],
  ['kpi.resolve_business_p50', (r) => r.resolve_time_business_hours_p50_s != null && duration(r.resolve_time_business_hours_p50_s), 'resolved'],
  ['kpi.sla', (r) => percent(r.sla_resolve_met_share), 'sla_resolve_breached'],
  ['kpi.first_fix', (r) => percent(r.first_time_fix_share), 'first_time_fixed'],
  ['kpi.satisfaction', (r) => r.satisfaction_mean != null && `${r.satisfaction_mean.toFixed(1)} / 5`, 'rated'],
];

function percent(share) {
  return share != null && `${Math.round(share * 100)}%`;
}

function drill(url) {
  return `#/list?src=${encodeURIComponent(url)}`;
}

function cards(row) {
  return h(
    'ul',
    { class: 'cards', 'data-testid': 'kpi-cards' },
    CARDS.map(([label, value, figure]) => {
      const url = row?.tickets_urls[figure];
      const shown = (row && value(row)) ?? '–';
      const body = [h('span', { class: 'figure', text: String(shown === false ? '–' : shown) }), h('span', { text: t(label) })];
      return h('li', {}, url ? h('a', { href: drill(url) }, body) : h('div', {}, body));
    }),
  );
}

let charts;

/** ECharts, fetched from the gateway the first time a chart is drawn. */
function echarts() {
  charts ||= new Promise((resolve, reject) => {
    const script = h('script', { src: 'vendor/echarts/echarts.min.js' });
    script.onload = () => resolve(window.echarts);
    script.onerror = () => reject(new Error(t('error.other')));
    document.head.append(script);
  });
  return charts;
}

function axes(cells) {
  const buildings = [...new Set(cells.map((c) => c.building))].sort();
  const floors = [...new Set(cells.map((c) => c.floor))].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  return { buildings, floors };
}

/** Draw an ECharts `option` in `box`; a click on a figure opens the tickets whose URL is
 * the figure's last value. */
async function draw(box, option) {
  box.textContent = t('planner.chart_loading');
  const lib = await echarts();
  box.textContent = '';
  const chart = lib.init(box, null, { renderer: 'canvas' });
  chart.setOption({ aria: { enabled: true }, tooltip: {}, ...option });
  chart.on('click', (event) => go(`list?src=${encodeURIComponent(event.data.at(-1))}`));
  new ResizeObserver(() => chart.resize()).observe(box);
}

function heatChart(box, cells) {
  const { buildings, floors } = axes(cells);
  return draw(box, {
    grid: { left: 48, right: 16, top: 16, bottom: 64 },
    xAxis: { type: 'category', data: buildings, name: t('planner.building') },
    yAxis: { type: 'category', data: floors, name: t('planner.floor') },
    visualMap: { dimension: 2, min: 0, max: Math.max(1, ...cells.map((c) => c.count)), orient: 'horizontal', left: 'center', bottom: 0, calculable: true },
    series: [{ type: 'heatmap', label: { show: true }, data: cells.map((c) => [buildings.indexOf(c.building), floors.indexOf(c.floor), c.count, c.tickets_url]) }],
  });
}

function monthChart(box, rows) {
  const months = rows.map((r) => r.bucket.slice(0, 7));
  const series = (figure) => ({
    name: t(`kpi.${figure}`),
    type: 'bar',
    data: rows.map((r, i) => [i, r[figure], r.tickets_urls[figure]]),
  });
  return draw(box, {
    legend: {},
    grid: { left: 40, right: 16, top: 40, bottom: 32 },
    xAxis: { type: 'category', data: months },
    yAxis: { type: 'value', minInterval: 1 },
    series: [series('raised'), series('resolved')],
  });
}

function heatTable(cells) {
  return h(
    'table',
    { class: 'heat', 'data-testid': 'heatmap-table' },
    h('caption', { text: t('planner.heatmap_table') }),
    h('thead', {}, h('tr', {}, [t('planner.building'), t('planner.floor'), t('planner.count')].map((text) => h('th', { scope: 'col', text })))),
    h(
      'tbody',
      {},
      cells.map((c) => h('tr', {}, h('td', { text: c.building }), h('td', { text: c.floor }), h('td', {}, h('a', { href: drill(c.tickets_url), text: String(c.count) })))),
    ),
  );
}

function workOrderButton(spot) {
  const button = h('button', {
    type: 'button',
    text: t('planner.raise_work_order'),
    onclick: () =>
      attempt(button, async () => {
        const ticket = await call(`/v1/hotspots/${spot.id}/work-order`, { method: 'POST' });
        go(`ticket/${ticket.id}`);
      }),
  });
  return button;
}

function hotspots(list) {
  if (!list?.items.length) return h('p', { class: 'empty', text: t('planner.no_hotspots') });
  return h(
    'ol',
    { class: 'hotspots', 'data-testid': 'hotspots' },
    list.items.map((spot) => {
      const where = spot.location;
      const tickets = `/v1/tickets?building=${encodeURIComponent(where.building)}&floor=${encodeURIComponent(where.floor)}`;
      return h(
        'li',
        {},
        h('strong', { text: `${where.building} ${where.floor}F${where.unit ? ` ${where.unit}` : ''}${where.asset ? ` · ${where.asset}` : ''}` }),
        h('span', { class: 'figure', text: t('planner.probability', { p: (spot.probability * 100).toFixed(spot.probability < 0.1 ? 1 : 0) }) }),
        h('ul', {}, spot.reasons.map((r) => h('li', { text: r.text }))),
        h('p', { text: spot.action_detail.text }),
        h('a', { href: drill(tickets), text: t('planner.show') }),
        spot.work_order_ticket_id
          ? h('a', { href: `#/ticket/${spot.work_order_ticket_id}`, text: t('planner.work_order') })
          : workOrderButton(spot),
      );
    }),
  );
}

export async function render({ root }) {
  const kpis = h('section');
  const chart = h('div', { class: 'chart', role: 'img', 'aria-label': t('planner.heatmap') });
  const months = h('div', { class: 'chart', role: 'img', 'aria-label': t('planner.months') });
  const table = h('div', { class: 'scroll' });
  const spots = h('section');
  root.append(
    h('h2', { text: t('planner.heading') }),
    h('h3', { text: t('planner.kpis') }),
    kpis,
    h('h3', { text: t('planner.months') }),
    months,
    h('h3', { text: t('planner.heatmap') }),
    chart,
    table,
    h('h3', { text: t('planner.hotspots') }),
    spots,
  );
  await attempt(null, async () => {
    const [report, monthly, heat, ranked] = await Promise.all([
      call('/v1/analytics/kpis'),
      call('/v1/analytics/kpis?bucket=month'),
      call('/v1/analytics/heatmap'),
      call('/v1/hotspots?level=floor&horizon_days=7&limit=5').catch(() => null),
    ]);
    kpis.replaceChildren(cards(report.rows[0]));
    table.replaceChildren(heatTable(heat.cells));
    spots.replaceChildren(hotspots(ranked));
    await Promise.all([heatChart(chart, heat.cells), monthChart(months, monthly.rows)]);
  });
}
