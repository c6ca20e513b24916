// The dashboard: the last 30 days as charts (inline SVG drawn here) and the orders to settle.
import { api, element, loadStrings, money, number, showFatal, startWebApp, t, useCurrency } from "./common.js";

const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attributes = {}, text = null) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== null) node.textContent = text;
  return node;
}

function niceStep(span) {
  const raw = span / 4;
  const power = 10 ** Math.floor(Math.log10(raw));
  const scaled = raw / power;
  return (scaled >= 5 ? 10 : scaled >= 2 ? 5 : scaled >= 1 ? 2 : 1) * power;
}

// One bar per day; values are drawing coordinates only (the figures are exact strings).
function barChart(container, days, values, format) {
  const width = 360;
  const height = 170;
  const left = 46;
  const right = 4;
  const top = 8;
  const bottom = 20;
  const high = Math.max(0, ...values);
  const low = Math.min(0, ...values);
  const step = niceStep(high - low || 1);
  const top_ = Math.ceil(high / step) * step || step;
  const bottom_ = Math.floor(low / step) * step;
  const y = (value) => top + ((top_ - value) / (top_ - bottom_)) * (height - top - bottom);
  const slot = (width - left - right) / days.length;
  const chart = svg("svg", {
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    class: "bars",
  });
  const ticks = Math.round((top_ - bottom_) / step);
  for (let index = 0; index <= ticks; index += 1) {
    const tick = bottom_ + index * step;
    chart.append(svg("line", { x1: left, x2: width - right, y1: y(tick), y2: y(tick), class: tick === 0 ? "axis" : "grid" }));
    chart.append(svg("text", { x: left - 5, y: y(tick) + 3.5, class: "tick", "text-anchor": "end" }, format(tick)));
  }
  days.forEach((day, index) => {
    const value = values[index];
    const x = left + index * slot + slot * 0.15;
    const bar = svg("rect", {
      x,
      y: Math.min(y(value), y(0)),
      width: slot * 0.7,
      height: Math.max(Math.abs(y(value) - y(0)), value === 0 ? 0 : 1),
      rx: 2,
      class: value < 0 ? "bar negative" : "bar",
      "data-date": day.date,
    });
    bar.append(svg("title", {}, `${day.date}: ${format(value)}`));
    chart.append(bar);
    const last = index === days.length - 1;
    if (last || (index % 5 === 0 && index < days.length - 3)) {
      const [, month, date] = day.date.split("-");
      const anchor = last ? { x: width - right, "text-anchor": "end" } : { x: x + slot * 0.35, "text-anchor": "middle" };
      chart.append(svg("text", { ...anchor, y: height - 6, class: "tick" }, `${date}.${month}`));
    }
  });
  container.replaceChildren(chart);
}

function renderStats(stats) {
  $("total-orders").textContent = number(stats.total.orders);
  $("total-revenue").textContent = money(stats.total.revenue);
  $("total-cost").textContent = money(stats.total.panel_cost);
  $("total-profit").textContent = money(stats.total.profit);
  barChart($("chart-orders"), stats.days, stats.days.map((day) => day.orders), (value) => number(value));
  barChart(
    $("chart-profit"),
    stats.days,
    stats.days.map((day) => Number(day.profit)),
    (value) => money(String(value)),
  );
}

// With several panels the admin names the one the order was found on, as /settle
// <id> <panel>:<panel id> does; it starts at the panel the order was sent to.
function panelChoice(panels, current) {
  if (panels.length < 2) return null;
  return element(
    "select",
    { "aria-label": t("webapp-admin-panel") },
    ...panels.map((name) => element("option", { value: name, selected: name === current }, name)),
  );
}

function renderUnknown(orders, panels) {
  $("unknown-none").hidden = orders.length > 0;
  $("unknown").replaceChildren(
    ...orders.map((order) => {
      const panelId = element("input", {
        type: "text",
        inputmode: "numeric",
        placeholder: t("webapp-admin-panel-id"),
        "aria-label": t("webapp-admin-panel-id"),
      });
      const panel = panelChoice(panels, order.panel);
      const result = element("p", { class: "notice", hidden: true, role: "status" });
      const placedBody = () => {
        const body = { panel_order_id: panelId.value.trim() };
        if (panel) body.panel = panel.value;
        return body;
      };
      const settle = async (body) => {
        try {
          const answer = await api(`admin/orders/${order.id}/settle`, { method: "POST", body });
          result.className = "notice success";
          result.textContent = answer.message;
          item.querySelector(".settle").remove();
        } catch (error) {
          result.className = "notice error";
          result.textContent = error.message;
        }
        result.hidden = false;
      };
      const item = element(
        "li",
        { class: "order", "data-order": order.id },
        element(
          "div",
          { class: "order-head" },
          element("strong", {}, t("webapp-order-title", { id: order.id })),
          element("span", { class: "status active" }, order.status_label),
        ),
        element("div", { class: "order-service" }, order.service),
        element("div", { class: "order-link hint" }, order.link),
        element(
          "div",
          { class: "order-foot hint" },
          element("span", {}, t("webapp-admin-user", { user_id: order.user_id })),
          element("span", { class: "strong" }, money(order.price)),
          element("span", {}, order.detail ?? ""),
        ),
        element(
          "div",
          { class: "settle" },
          panel,
          panelId,
          element("button", { type: "button", class: "primary small", onclick: () => settle(placedBody()) }, t("webapp-admin-placed")),
          element("button", { type: "button", class: "danger small", onclick: () => settle({ failed: true }) }, t("webapp-admin-failed")),
        ),
        result,
      );
      return item;
    }),
  );
}

async function main() {
  startWebApp();
  try {
    await loadStrings();
    document.title = t("webapp-admin-title");
    const me = await api("me");
    useCurrency(me.currency);
    if (!me.is_admin) {
      showFatal(t("webapp-admin-only"));
      return;
    }
    const [stats, unknown] = await Promise.all([api("admin/stats?days=30"), api("admin/orders?status=unknown")]);
    renderStats(stats);
    renderUnknown(unknown.orders, unknown.panels ?? []);
  } catch (error) {
    showFatal(error.message);
  } finally {
    document.body.classList.remove("loading");
  }
}

main();
