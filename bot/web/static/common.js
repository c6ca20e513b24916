// Shared by the shop and the dashboard: Telegram's WebApp object, the theme, the signed API
// calls, our translations (served by GET /api/strings in the user's language) and amounts.

export const webApp = window.Telegram?.WebApp ?? null;

// This module lives at <base>/app/static/; the API at <base>/api/, whatever <base> the reverse
// proxy puts in front.
const API_BASE = new URL("../../api/", import.meta.url);

let strings = {};
let language = "en";
let currency = "USD";

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// Every call carries Telegram's signed initData; the server trusts nothing else.
export async function api(path, { method = "GET", body } = {}) {
  const headers = { Authorization: `tma ${webApp?.initData ?? ""}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(new URL(path, API_BASE), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, t("webapp-error-network"));
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    throw new ApiError(response.status, data?.error ?? t("webapp-error-network"));
  }
  return data;
}

// A translation with its {name} holes filled in.
export function t(id, values = {}) {
  const text = strings[id] ?? id;
  return text.replace(/\{(\w+)\}/g, (hole, name) => (name in values ? String(values[name]) : hole));
}

export async function loadStrings() {
  const data = await api("strings");
  strings = data.strings;
  language = data.language;
  document.documentElement.lang = language;
  for (const element of document.querySelectorAll("[data-t]")) {
    element.textContent = t(element.dataset.t);
  }
  for (const element of document.querySelectorAll("[data-t-placeholder]")) {
    element.placeholder = t(element.dataset.tPlaceholder);
  }
  for (const element of document.querySelectorAll("[data-t-label]")) {
    element.setAttribute("aria-label", t(element.dataset.tLabel));
  }
}

export function useCurrency(code) {
  currency = code;
}

// Amounts arrive as exact decimal strings; Intl formats a string without going through a
// float, in the user's language.
export function money(amount) {
  try {
    return new Intl.NumberFormat(language, {
      style: "currency",
      currency,
      minimumFractionDigits: 2,
      maximumFractionDigits: 6,
    }).format(amount);
  } catch {
    return `${amount} ${currency}`;
  }
}

export function number(value) {
  return new Intl.NumberFormat(language).format(value);
}

export function dateTime(iso) {
  return new Intl.DateTimeFormat(language, { dateStyle: "medium", timeStyle: "short" }).format(
    new Date(iso),
  );
}

// Exact decimal arithmetic for the live estimate: micro-units as BigInt, as the server counts.
export function toMicros(decimal) {
  const [whole, fraction = ""] = String(decimal).replace("-", "").split(".");
  const micros = BigInt(whole || "0") * 1000000n + BigInt((fraction + "000000").slice(0, 6));
  return String(decimal).startsWith("-") ? -micros : micros;
}

export function fromMicros(micros) {
  const sign = micros < 0n ? "-" : "";
  const magnitude = micros < 0n ? -micros : micros;
  const whole = magnitude / 1000000n;
  const fraction = (magnitude % 1000000n).toString().padStart(6, "0");
  return `${sign}${whole}.${fraction}`;
}

function applyTheme() {
  const root = document.documentElement;
  for (const [name, value] of Object.entries(webApp?.themeParams ?? {})) {
    root.style.setProperty(`--tg-theme-${name.replaceAll("_", "-")}`, value);
  }
  root.dataset.scheme = webApp?.colorScheme ?? "light";
}

export function startWebApp() {
  applyTheme();
  webApp?.onEvent?.("themeChanged", applyTheme);
  webApp?.ready?.();
  webApp?.expand?.();
}

export function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function showFatal(message) {
  const box = document.getElementById("fatal");
  box.textContent = message;
  box.hidden = false;
  for (const section of document.querySelectorAll("main, nav")) section.hidden = true;
  document.body.classList.remove("loading");
}
