// The shop: catalog with search, an order form with a live price, the customer's orders.
import {
  api,
  dateTime,
  element,
  fromMicros,
  loadStrings,
  money,
  number,
  showFatal,
  startWebApp,
  t,
  toMicros,
  useCurrency,
} from "./common.js";

const $ = (id) => document.getElementById(id);
const ORDERS_PAGE = 20;
const state = { catalog: [], service: null, quote: null, ordersLoaded: 0, busy: false };

// --- tabs -----------------------------------------------------------------------------------

function showTab(name) {
  for (const tab of document.querySelectorAll("[data-tab]")) {
    tab.setAttribute("aria-selected", String(tab.dataset.tab === name));
  }
  $("catalog-view").hidden = name !== "catalog";
  $("order-view").hidden = name !== "order";
  $("orders-view").hidden = name !== "orders";
  if (name === "orders") loadOrders(true);
  window.scrollTo(0, 0);
}

// --- catalog --------------------------------------------------------------------------------

function priceLine(service) {
  const id = service.per === "package" ? "webapp-price-per-package" : "webapp-price-per-1000";
  return t(id, { price: money(service.price) });
}

function badges(service) {
  return [
    element("span", { class: "badge" }, service.type_label),
    service.refill ? element("span", { class: "badge good" }, t("webapp-refill")) : null,
    service.cancel ? element("span", { class: "badge" }, t("webapp-cancel")) : null,
  ];
}

function renderCatalog() {
  const box = $("catalog");
  box.replaceChildren();
  if (!state.catalog.length) {
    box.append(element("p", { class: "empty" }, t("webapp-catalog-empty")));
    return;
  }
  for (const category of state.catalog) {
    const list = element("ul", { class: "services" });
    for (const service of category.services) {
      const quantity =
        service.per === "package" ? null : t("webapp-quantity-range", {
          min: number(service.min),
          max: number(service.max),
        });
      const item = element(
        "li",
        { class: "service" },
        element(
          "button",
          { type: "button", onclick: () => openService(service, category) },
          element("span", { class: "service-name" }, service.name),
          element("span", { class: "service-price" }, priceLine(service)),
          element("span", { class: "service-meta" }, quantity, badges(service)),
        ),
      );
      item.dataset.search = `${service.name} ${category.name} ${service.id}`.toLowerCase();
      list.append(item);
    }
    box.append(
      element("section", { class: "category" }, element("h2", {}, category.name), list),
    );
  }
  filterCatalog();
}

// Every word typed must appear in the service's name, its category or its id.
function filterCatalog() {
  const words = $("search").value.toLowerCase().split(/\s+/).filter(Boolean);
  let shown = 0;
  for (const category of document.querySelectorAll(".category")) {
    let inCategory = 0;
    for (const item of category.querySelectorAll(".service")) {
      const match = words.every((word) => item.dataset.search.includes(word));
      item.hidden = !match;
      if (match) inCategory += 1;
    }
    category.hidden = inCategory === 0;
    shown += inCategory;
  }
  $("no-results").hidden = shown > 0 || !state.catalog.length;
}

// --- order form -----------------------------------------------------------------------------

function openService(service, category) {
  state.service = service;
  state.quote = null;
  $("service-name").textContent = service.name;
  $("service-price").textContent = `${category.name} · ${priceLine(service)}`;
  $("service-badges").replaceChildren(...badges(service).filter(Boolean));
  $("service-description").textContent = service.description || "";
  const form = $("order-form");
  form.reset();
  const bounds = { min: number(service.min), max: number(service.max) };
  const comments = service.type === "Custom Comments";
  $("quantity-field").hidden = service.per === "package" || comments;
  $("quantity-label").textContent = t("webapp-form-quantity", bounds);
  $("comments-field").hidden = !comments;
  $("comments-label").textContent = t("webapp-form-comments", bounds);
  $("answer-field").hidden = service.type !== "Poll";
  $("dripfeed-field").hidden = !service.dripfeed;
  $("runs-fields").hidden = true;
  form.hidden = false;
  $("confirm").hidden = true;
  $("placed").hidden = true;
  hideError("form-error");
  updateEstimate();
  showTab("order");
  $("link").focus();
}

function wholeNumber(id) {
  const digits = $(id).value.replace(/[\s_,.\u00a0\u202f]/g, "");
  return /^\d{1,12}$/.test(digits) ? BigInt(digits) : 0n;
}

// How many units are paid for: drip-feed delivers (and charges) the quantity every run.
function orderedCount() {
  const service = state.service;
  if (service.per === "package") return 1n;
  if (!$("runs-fields").hidden) return wholeNumber("quantity") * wholeNumber("runs");
  if (service.type === "Custom Comments") {
    return BigInt($("comments").value.split("\n").filter((line) => line.trim()).length);
  }
  return wholeNumber("quantity");
}

// The price per 1000 (or per package) times the count, rounded up to the micro-unit like the
// server; the server's quote, shown before paying, is what counts.
function updateEstimate() {
  const service = state.service;
  if (!service) return;
  const count = orderedCount();
  const box = $("estimate");
  if (count <= 0n) {
    box.textContent = "";
    return;
  }
  const unit = toMicros(service.price);
  const micros = service.per === "package" ? unit : (unit * count + 999n) / 1000n;
  box.textContent = t("webapp-estimate", { price: money(fromMicros(micros)) });
}

function showError(id, message) {
  const box = $(id);
  box.textContent = message;
  box.hidden = false;
}

function hideError(id) {
  $(id).hidden = true;
}

async function getQuote(event) {
  event.preventDefault();
  if (state.busy) return;
  const service = state.service;
  const body = { service_id: service.id, link: $("link").value.trim() };
  if (!$("quantity-field").hidden) body.quantity = $("quantity").value;
  if (!$("comments-field").hidden) body.comments = $("comments").value;
  if (!$("answer-field").hidden) body.answer_number = $("answer").value;
  if (!$("runs-fields").hidden) {
    Object.assign(body, { dripfeed: true, runs: $("runs").value, interval: $("interval").value });
  }
  hideError("form-error");
  state.busy = true;
  $("get-price").disabled = true;
  try {
    const quote = await api("quote", { method: "POST", body });
    state.quote = quote;
    $("confirm-service").textContent = quote.service;
    const quantity = number(quote.quantity ?? 1);
    $("confirm-quantity").textContent = quote.runs ? `${quantity} × ${number(quote.runs)}` : quantity;
    // A pending promo code: the server already took it off the price.
    const discounted = quote.promo_code != null;
    $("confirm-discount-label").hidden = $("confirm-discount").hidden = !discounted;
    if (discounted) {
      $("confirm-discount-label").textContent = t("webapp-confirm-discount", {
        code: quote.promo_code,
        percent: quote.promo_percent,
      });
      $("confirm-discount").textContent = `−${money(quote.discount)}`;
    }
    $("confirm-price").textContent = money(quote.price);
    $("confirm-balance").textContent = money(quote.balance);
    $("confirm-after").textContent = money(quote.balance_after);
    $("not-enough").hidden = quote.enough_balance;
    $("pay").disabled = false;
    hideError("confirm-error");
    $("order-form").hidden = true;
    $("confirm").hidden = false;
  } catch (error) {
    showError("form-error", error.message);
  } finally {
    state.busy = false;
    $("get-price").disabled = false;
  }
}

async function pay() {
  if (state.busy || !state.quote) return;
  state.busy = true;
  $("pay").disabled = true;
  hideError("confirm-error");
  try {
    // The same token twice places one order: a double tap is harmless.
    const placed = await api("orders", { method: "POST", body: { token: state.quote.token } });
    $("placed-message").textContent = placed.message;
    $("placed-message").className = `notice ${placed.order.status === "failed" ? "error" : "success"}`;
    $("confirm").hidden = true;
    $("placed").hidden = false;
    refreshBalance();
  } catch (error) {
    showError("confirm-error", error.message);
    $("pay").disabled = false;
  } finally {
    state.busy = false;
  }
}

// --- orders ---------------------------------------------------------------------------------

function statusClass(order) {
  if (order.status === "failed" || order.status === "Canceled") return "bad";
  if (order.final) return "good";
  return "active";
}

function renderOrder(order) {
  return element(
    "li",
    { class: "order", "data-order": order.id },
    element(
      "div",
      { class: "order-head" },
      element("strong", {}, t("webapp-order-title", { id: order.id })),
      element("span", { class: `status ${statusClass(order)}` }, order.status_label),
    ),
    element("div", { class: "order-service" }, order.service),
    element("div", { class: "order-link hint" }, order.link),
    element(
      "div",
      { class: "order-foot hint" },
      element("span", {}, t("webapp-order-quantity", { quantity: number(order.quantity ?? 1) })),
      element("span", { class: "strong" }, money(order.price)),
      element("span", {}, dateTime(order.created_at)),
    ),
  );
}

async function loadOrders(fresh) {
  if (fresh) {
    state.ordersLoaded = 0;
    $("orders").replaceChildren();
  }
  try {
    const page = await api(`orders?offset=${state.ordersLoaded}&limit=${ORDERS_PAGE}`);
    $("orders").append(...page.orders.map(renderOrder));
    state.ordersLoaded += page.orders.length;
    $("orders-empty").hidden = page.total > 0;
    $("more").hidden = state.ordersLoaded >= page.total;
  } catch (error) {
    showFatal(error.message);
  }
}

// --- start ----------------------------------------------------------------------------------

async function refreshBalance() {
  const me = await api("me");
  $("balance").textContent = t("webapp-balance", { balance: money(me.balance) });
  return me;
}

async function main() {
  startWebApp();
  try {
    await loadStrings();
    document.title = t("webapp-title");
    const [me, catalog] = await Promise.all([refreshBalance(), api("catalog")]);
    useCurrency(catalog.currency);
    $("balance").textContent = t("webapp-balance", { balance: money(me.balance) });
    $("admin-link").hidden = !me.is_admin;
    state.catalog = catalog.categories;
    renderCatalog();
  } catch (error) {
    showFatal(error.message);
    return;
  } finally {
    document.body.classList.remove("loading");
  }
  for (const tab of document.querySelectorAll("[data-tab]")) {
    tab.addEventListener("click", () => showTab(tab.dataset.tab));
  }
  $("search").addEventListener("input", filterCatalog);
  $("back").addEventListener("click", () => showTab("catalog"));
  $("order-form").addEventListener("submit", getQuote);
  for (const id of ["quantity", "comments", "runs"]) $(id).addEventListener("input", updateEstimate);
  $("dripfeed").addEventListener("change", () => {
    $("runs-fields").hidden = !$("dripfeed").checked;
    updateEstimate();
  });
  $("pay").addEventListener("click", pay);
  $("edit").addEventListener("click", () => {
    $("confirm").hidden = true;
    $("order-form").hidden = false;
  });
  $("to-orders").addEventListener("click", () => showTab("orders"));
  $("more").addEventListener("click", () => loadOrders(false));
}

main();
