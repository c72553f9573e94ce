// Reef Scheduler's Lovelace card: a day of the reef at a glance (runs, bands, level curves,
// drift) from the integration's `reef_scheduler/day/subscribe` websocket command.
// Plain ES module: vanilla custom elements and SVG, no build step, nothing loaded from a network.

const CARD = "reef-scheduler-card";
const EDITOR = "reef-scheduler-card-editor";
const DOMAIN = "reef_scheduler";
const DEFAULT_TITLE = "Reef day";
const HOUR = 3_600_000;
const MINUTE = 60_000;
// "start: now" shows the last two hours too, and slides forward every hour.
const LOOK_BACK = 2 * HOUR;
const SLIDE_EVERY = HOUR;
const CURSOR_EVERY = 30_000;
// Below this card width the names stand above their timelines and the controls wrap.
const NARROW_BELOW = 520;
// Curves share a lane: told apart by dash pattern (the theme's colours only).
const DASHES = ["", "6 3", "2 3", "10 3 2 3", "1 2"];
const RESULTS = ["upcoming", "running", "success", "failed", "skipped", "interrupted"];
const LEVEL_ACTIONS = ["ramp", "profile", "set_level", "set_pwm"];
const CARE_NAMES = { feed: "Feed mode", maintenance: "Maintenance" };
const BAND_NAMES = { hold: "Hold", ramp: "Ramp", wave: "Waves" };
const KIND_NAMES = {
  recurring: "recurring",
  interval: "interval",
  cron: "cron",
  once: "once",
  sun: "sun",
  light_profile: "light profile",
  wave: "wave pattern",
  dosing: "dosing",
};

// ----- text and time ---------------------------------------------------------------------------

const escapeHtml = (text) =>
  String(text ?? "").replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c],
  );

const formatters = new Map();
function formatter(zone, options) {
  const key = `${zone}|${JSON.stringify(options)}`;
  let found = formatters.get(key);
  if (!found) {
    found = new Intl.DateTimeFormat("en-GB", { timeZone: zone, ...options });
    formatters.set(key, found);
  }
  return found;
}

/** The wall-clock fields of an instant in a zone (hour 0..23). */
function wallClock(zone, ms) {
  const fields = {};
  const parts = formatter(zone, {
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
    hourCycle: "h23",
  }).formatToParts(new Date(ms));
  for (const part of parts) {
    if (part.type !== "literal") fields[part.type] = Number(part.value);
  }
  return fields;
}

/** How far a zone's wall clock is ahead of UTC at an instant, in ms. */
function zoneOffset(zone, ms) {
  const w = wallClock(zone, ms);
  const wall = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return wall - Math.floor(ms / 1000) * 1000;
}

/** The instant of the local midnight that begins the day of `ms` in a zone. */
export function localMidnight(zone, ms) {
  const w = wallClock(zone, ms);
  const wall = Date.UTC(w.year, w.month - 1, w.day);
  // Two rounds: the offset at midnight may differ from the offset now (a DST day).
  let guess = wall - zoneOffset(zone, wall);
  guess = wall - zoneOffset(zone, guess);
  return guess;
}

function timeText(zone, ms, twelve) {
  return formatter(zone, {
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: twelve ? "h12" : "h23",
  }).format(new Date(ms));
}

function dateText(zone, ms) {
  return formatter(zone, {
    weekday: "short",
    day: "numeric",
    month: "short",
    year: "numeric",
  }).format(new Date(ms));
}

/** The instants within [start, end] where the zone's wall clock shows a whole hour. */
export function hourTicks(zone, start, end) {
  const ticks = [];
  // Quarter hours cover every offset in use (whole, half and quarter hours).
  const step = 15 * MINUTE;
  for (let t = Math.ceil(start / step) * step; t <= end; t += step) {
    const w = wallClock(zone, t);
    if (w.minute === 0 && w.second === 0) ticks.push({ at: t, hour: w.hour });
  }
  return ticks;
}

const level = (value) => `${Math.round(value * 10) / 10} %`;

function plural(count, one) {
  return `${count} ${one}${count === 1 ? "" : "s"}`;
}

// ----- the card --------------------------------------------------------------------------------

class ReefSchedulerCard extends HTMLElement {
  constructor() {
    super();
    this.attachShadow({ mode: "open" });
    this._config = undefined;
    this._hass = undefined;
    this._day = undefined;
    this._error = undefined;
    this._notice = undefined;
    this._unsubscribe = undefined;
    this._subscribing = undefined;
    this._renew = undefined;
    this._cursorTimer = undefined;
    this._narrow = false;
    this._ticks = [];
    this._tipAt = new Map();
    this._resize = new ResizeObserver((entries) => {
      const width = entries[0]?.contentRect.width ?? 0;
      const narrow = width > 0 && width < NARROW_BELOW;
      if (narrow !== this._narrow) {
        this._narrow = narrow;
        this._render();
      }
    });
    this.shadowRoot.addEventListener("click", (ev) => this._onClick(ev));
    this.shadowRoot.addEventListener("mousemove", (ev) => this._onPointer(ev));
    this.shadowRoot.addEventListener("mouseleave", () => this._hideTip(), true);
    this.shadowRoot.addEventListener("focusin", (ev) => this._onFocus(ev));
    this.shadowRoot.addEventListener("focusout", () => this._hideTip());
    this.shadowRoot.addEventListener("keydown", (ev) => this._onKey(ev));
  }

  static getConfigElement() {
    return document.createElement(EDITOR);
  }

  static getStubConfig() {
    return { title: DEFAULT_TITLE, rows: "schedules" };
  }

  setConfig(config) {
    if (!config || typeof config !== "object") throw new Error("Invalid configuration");
    if (config.rows !== undefined && !["schedules", "targets"].includes(config.rows)) {
      throw new Error('rows must be "schedules" or "targets"');
    }
    if (config.start !== undefined && !["midnight", "now"].includes(config.start)) {
      throw new Error('start must be "midnight" or "now"');
    }
    if (config.hours !== undefined) {
      const hours = Number(config.hours);
      if (!Number.isInteger(hours) || hours < 1 || hours > 72) {
        throw new Error("hours must be a whole number from 1 to 72");
      }
    }
    for (const key of ["schedules", "entities"]) {
      if (config[key] !== undefined && !Array.isArray(config[key])) {
        throw new Error(`${key} must be a list`);
      }
    }
    const before = this._config && JSON.stringify(this._request(this._config));
    this._config = { ...config };
    if (before !== undefined && before !== JSON.stringify(this._request(this._config))) {
      this._resubscribe();
    }
    this._render();
  }

  set hass(hass) {
    const first = !this._hass;
    const reconnected = this._hass && hass && this._hass.connection !== hass.connection;
    this._hass = hass;
    if (first || reconnected) this._resubscribe();
  }

  get hass() {
    return this._hass;
  }

  getCardSize() {
    const rows = this._day ? this._rows().length : 2;
    return 2 + rows;
  }

  /** In a sections view: the whole width by default (a timeline needs it), at least half. */
  getGridOptions() {
    return { columns: 12, min_columns: 6 };
  }

  connectedCallback() {
    this._resize.observe(this);
    this._cursorTimer = setInterval(() => this._moveCursor(), CURSOR_EVERY);
    if (this._hass && this._config && !this._unsubscribe && !this._subscribing) {
      this._resubscribe();
    }
    this._render();
  }

  disconnectedCallback() {
    this._resize.disconnect();
    clearInterval(this._cursorTimer);
    this._cursorTimer = undefined;
    this._unsubscribeNow();
  }

  // ----- the subscription ----------------------------------------------------------------------

  /** The command's fields for a config (start left out: the server's local day). */
  _request(config) {
    const request = {};
    if (config.schedules?.length) request.schedules = [...config.schedules];
    if (config.entities?.length) request.entities = [...config.entities];
    if (config.hours !== undefined) request.hours = Number(config.hours);
    if (config.start === "now") request.start = "now";
    else if (config.hours !== undefined) request.start = "midnight";
    return request;
  }

  /** The request with its start made an instant (now and midnight move with the clock). */
  _message() {
    const request = this._request(this._config);
    const now = Date.now();
    if (request.start === "now") {
      request.start = new Date(now - LOOK_BACK).toISOString();
      request.hours ??= 24;
    } else if (request.start === "midnight") {
      const zone = this._hass?.config?.time_zone;
      if (zone) request.start = new Date(localMidnight(zone, now)).toISOString();
      else delete request.start;
    }
    return { type: `${DOMAIN}/day/subscribe`, ...request };
  }

  _unsubscribeNow() {
    clearTimeout(this._renew);
    this._renew = undefined;
    const unsubscribe = this._unsubscribe;
    this._unsubscribe = undefined;
    this._subscribing = undefined;
    if (unsubscribe) unsubscribe().catch(() => {});
  }

  async _resubscribe() {
    this._unsubscribeNow();
    if (!this._hass?.connection || !this._config || !this.isConnected) return;
    const attempt = {};
    this._subscribing = attempt;
    try {
      const unsubscribe = await this._hass.connection.subscribeMessage(
        (event) => this._receive(attempt, event),
        this._message(),
      );
      if (this._subscribing !== attempt) {
        unsubscribe().catch(() => {});
        return;
      }
      this._unsubscribe = unsubscribe;
      this._error = undefined;
    } catch (err) {
      if (this._subscribing !== attempt) return;
      this._subscribing = undefined;
      this._error = `Reef Scheduler does not answer: ${err?.message ?? err?.code ?? err}`;
      this._render();
    }
  }

  _receive(attempt, event) {
    if (this._subscribing !== attempt || !event?.day) return;
    this._day = event.day;
    this._error = undefined;
    this._planRenewal();
    this._render();
  }

  /** Subscribe again when the day rolls over, or every hour for a window from now. */
  _planRenewal() {
    clearTimeout(this._renew);
    // By Home Assistant's clock (the day's now), not the browser's, which may be off: the
    // next local midnight (a day lasts 23 to 25 hours, so 26 hours on is always the next day).
    const now = Date.parse(this._day.now);
    const tomorrow = localMidnight(this._zone(), localMidnight(this._zone(), now) + 26 * HOUR);
    const wait = this._config.start === "now" ? SLIDE_EVERY : tomorrow - now + 1000;
    // setTimeout holds at most 2^31-1 ms; a later renewal is simply planned again then.
    this._renew = setTimeout(() => this._resubscribe(), Math.max(1000, Math.min(wait, 2 ** 31 - 1)));
  }

  // ----- actions -------------------------------------------------------------------------------

  async _onClick(ev) {
    const button = ev.composedPath().find((el) => el instanceof HTMLElement && el.dataset?.action);
    if (!button || !this._hass) return;
    const { action, id, entities } = button.dataset;
    const schedule = this._day?.schedules.find((s) => s.id === id);
    let call;
    if (action === "toggle" && schedule?.enabled_entity) {
      call = ["switch", "toggle", { entity_id: schedule.enabled_entity }];
    } else if (action === "run") {
      call = [DOMAIN, "run_now", { schedule_id: id }];
    } else if (action === "skip") {
      call = [DOMAIN, "skip_next", { schedule_id: id }];
    } else if (action === "reapply") {
      call = [DOMAIN, "reapply", { entity_id: entities.split(" ") }];
    } else if (action === "dismiss") {
      this._notice = undefined;
      this._render();
      return;
    }
    if (!call) return;
    button.disabled = true;
    try {
      await this._hass.callService(...call);
      this._notice = undefined;
    } catch (err) {
      this._notice = err?.message ?? String(err);
    }
    button.disabled = false;
    this._render();
  }

  // ----- tooltips ------------------------------------------------------------------------------

  _onPointer(ev) {
    const lane = ev.composedPath().find((el) => el.classList?.contains("lane"));
    if (!lane || !lane.querySelector("path[data-entity]")) {
      if (!ev.composedPath().some((el) => el.dataset?.tip)) this._hideTip();
      return;
    }
    const box = lane.getBoundingClientRect();
    const fraction = (ev.clientX - box.left) / box.width;
    this._showCurveTip(lane, fraction);
  }

  _onFocus(ev) {
    const el = ev.composedPath()[0];
    if (el?.dataset?.entity && el.tagName.toLowerCase() === "path") {
      const lane = el.closest(".lane");
      this._showCurveTip(lane, this._tipAt.get(lane.dataset.key) ?? this._fraction(Date.now()));
    } else if (el?.dataset?.tip) {
      this._showTip(el, el.dataset.tip);
    }
  }

  _onKey(ev) {
    const el = ev.composedPath()[0];
    if (!(el?.dataset?.entity && el.tagName.toLowerCase() === "path")) return;
    if (ev.key !== "ArrowLeft" && ev.key !== "ArrowRight") return;
    ev.preventDefault();
    const lane = el.closest(".lane");
    const step = 15 * MINUTE / this._span();
    const at = this._tipAt.get(lane.dataset.key) ?? this._fraction(Date.now());
    this._showCurveTip(lane, at + (ev.key === "ArrowLeft" ? -step : step));
  }

  _showCurveTip(lane, fraction) {
    const at = Math.min(1, Math.max(0, fraction));
    this._tipAt.set(lane.dataset.key, at);
    const ms = this._start() + at * this._span();
    const lines = [];
    for (const path of lane.querySelectorAll("path[data-entity]")) {
      const target = this._target(path.dataset.entity);
      const value = target ? levelAt(target.curve, ms) : null;
      lines.push(`${target?.name ?? path.dataset.entity}: ${value === null ? "—" : level(value)}`);
    }
    const text = `${this._time(ms)} · ${lines.join(" · ")}`;
    this._showTip(lane, text, at);
  }

  _showTip(anchor, text, fraction) {
    const tip = this.shadowRoot.querySelector(".tip");
    const card = this.shadowRoot.querySelector(".card");
    if (!tip || !card) return;
    tip.textContent = text;
    tip.hidden = false;
    const outer = card.getBoundingClientRect();
    const box = anchor.getBoundingClientRect();
    const x = fraction === undefined ? box.left + box.width / 2 : box.left + fraction * box.width;
    const width = tip.offsetWidth;
    const left = Math.min(Math.max(4, x - outer.left - width / 2), outer.width - width - 4);
    tip.style.left = `${left}px`;
    tip.style.top = `${box.top - outer.top - tip.offsetHeight - 4}px`;
  }

  _hideTip() {
    const tip = this.shadowRoot.querySelector(".tip");
    if (tip) tip.hidden = true;
  }

  // ----- geometry ------------------------------------------------------------------------------

  _start() {
    return Date.parse(this._day.start);
  }

  _span() {
    return Date.parse(this._day.end) - this._start();
  }

  _fraction(ms) {
    return (ms - this._start()) / this._span();
  }

  _x(ms) {
    return Math.min(100, Math.max(0, this._fraction(ms) * 100));
  }

  _zone() {
    return this._day?.time_zone ?? this._hass?.config?.time_zone ?? "UTC";
  }

  _time(ms) {
    return timeText(this._zone(), ms, this._hass?.locale?.time_format === "12");
  }

  _target(entityId) {
    return this._day?.targets.find((t) => t.entity_id === entityId);
  }

  _moveCursor() {
    if (!this._day) return;
    const now = Date.now();
    const inside = now >= this._start() && now <= Date.parse(this._day.end);
    for (const cursor of this.shadowRoot.querySelectorAll(".now")) {
      cursor.hidden = !inside;
      cursor.style.left = `${this._x(now)}%`;
    }
  }

  // ----- rendering -----------------------------------------------------------------------------

  /** The rows to draw: schedules, or targets (the config's entities first if it names some). */
  _rows() {
    const day = this._day;
    if (this._config?.rows === "targets") {
      const wanted = this._config.entities;
      const targets = wanted?.length
        ? day.targets.filter((t) => wanted.includes(t.entity_id))
        : day.targets;
      return targets.map((target) => ({ kind: "target", target }));
    }
    return day.schedules.map((schedule) => ({ kind: "schedule", schedule }));
  }

  _render() {
    if (!this._config) return;
    const focused = this.shadowRoot.activeElement?.dataset?.key;
    const title = this._config.title ?? DEFAULT_TITLE;
    let body;
    if (this._error && !this._day) {
      body = `<p class="message" role="alert">${escapeHtml(this._error)}</p>`;
    } else if (!this._day) {
      body = `<p class="message">Loading the reef's day…</p>`;
    } else {
      body = this._renderDay();
    }
    const head = this._day ? this._renderHead() : "";
    const notice = this._notice
      ? `<div class="notice" role="alert"><span>${escapeHtml(this._notice)}</span>
         <button data-action="dismiss" data-key="dismiss" aria-label="Dismiss">Dismiss</button></div>`
      : "";
    this.shadowRoot.innerHTML = `<style>${STYLE}</style>
      <ha-card>
        <div class="card ${this._narrow ? "narrow" : ""}">
          <div class="head"><h2 class="title">${escapeHtml(title)}</h2>${head}</div>
          ${notice}
          ${body}
          <div class="tip" role="tooltip" hidden></div>
        </div>
      </ha-card>`;
    this._moveCursor();
    if (focused) this.shadowRoot.querySelector(`[data-key="${CSS.escape(focused)}"]`)?.focus();
  }

  _renderHead() {
    const day = this._day;
    const zone = this._zone();
    const start = this._start();
    const hours = Math.round(this._span() / HOUR);
    const lastDay = dateText(zone, Date.parse(day.end) - 1);
    const firstDay = dateText(zone, start);
    const dates = firstDay === lastDay ? firstDay : `${firstDay} – ${lastDay}`;
    return `<div class="meta">
      <span class="date">${escapeHtml(dates)}</span>
      <span class="hours" data-hours="${hours}">${hours} h</span>
      <span class="zone">${escapeHtml(zone)}</span>
    </div>`;
  }

  _renderDay() {
    this._ticks = hourTicks(this._zone(), this._start(), Date.parse(this._day.end));
    const rows = this._rows();
    if (!rows.length) {
      const what = this._config.rows === "targets" ? "targets" : "schedules";
      return `<div class="grid">${this._renderAxis()}</div>
        <p class="message">No ${what} to show.</p>`;
    }
    const care = this._day.care.length ? this._renderCareRow() : "";
    const drawn = rows.map((row) =>
      row.kind === "target" ? this._renderTargetRow(row.target) : this._renderScheduleRow(row.schedule),
    );
    return `<div class="grid">${this._renderAxis()}${care}${drawn.join("")}</div>${this._renderLegend()}`;
  }

  _renderAxis() {
    const ticks = this._ticks;
    // Labels at least ~26 px apart: every hour on a wide card, every few on a phone.
    const every = this._narrow ? (ticks.length > 36 ? 6 : 3) : ticks.length > 36 ? 3 : 1;
    const marks = ticks
      .map((tick) => {
        const x = this._x(tick.at);
        const label =
          tick.hour % every === 0 && x < 98
            ? `<span class="hour" style="left:${x}%">${String(tick.hour).padStart(2, "0")}</span>`
            : "";
        return `<span class="tick ${tick.hour === 0 ? "midnight" : ""}" style="left:${x}%"></span>${label}`;
      })
      .join("");
    return `<div class="row axis-row" aria-hidden="true"><div class="name"></div>
      <div class="lane axis">${marks}<div class="now" hidden></div></div></div>`;
  }

  _gridLines() {
    return this._ticks
      .map((tick) => `<span class="gridline" style="left:${this._x(tick.at)}%"></span>`)
      .join("");
  }

  _band(start, end, cls, text) {
    const left = this._x(Date.parse(start));
    const right = this._x(Date.parse(end));
    if (right <= 0 || left >= 100) return "";
    const width = Math.max(0.3, right - left);
    return `<span class="band ${cls}" style="left:${left}%;width:${width}%" title="${escapeHtml(text)}"></span>`;
  }

  _span_text(start, end) {
    return `${this._time(Date.parse(start))}–${this._time(Date.parse(end))}`;
  }

  _careBands(entityIds) {
    const bands = [];
    for (const period of this._day.care) {
      const devices = period.devices.filter((d) => !entityIds || entityIds.includes(d.entity_id));
      if (entityIds && !devices.length) continue;
      const releases = devices.map((d) => Date.parse(d.release)).filter((ms) => !Number.isNaN(ms));
      const end = releases.length
        ? new Date(Math.max(Date.parse(period.end), ...releases)).toISOString()
        : period.end;
      const name = CARE_NAMES[period.kind] ?? period.kind;
      bands.push(this._band(period.start, end, `care care-${period.kind}`, `${name} ${this._span_text(period.start, end)}`));
    }
    return bands.join("");
  }

  _renderCareRow() {
    const kinds = [...new Set(this._day.care.map((p) => CARE_NAMES[p.kind] ?? p.kind))];
    return `<div class="row care-row" data-care>
      <div class="name"><span class="label">${escapeHtml(kinds.join(", "))}</span></div>
      <div class="lane" data-key="lane-care">${this._gridLines()}${this._careBands(null)}
        <div class="now" hidden></div></div></div>`;
  }

  _markers(schedule, withName) {
    return schedule.runs
      .map((run, index) => {
        const start = Date.parse(run.start);
        const end = Date.parse(run.end);
        if (end < this._start() || start > Date.parse(this._day.end)) return "";
        const parts = [
          `${this._time(start)}${end - start >= MINUTE ? `–${this._time(end)}` : ""}`,
          run.result,
        ];
        if (withName) parts.unshift(schedule.name);
        if (run.ml !== null && run.ml !== undefined) parts.push(`${run.ml} ml`);
        if (run.error) parts.push(run.error);
        const text = parts.join(" · ");
        const x = this._x(start);
        const ml =
          run.ml !== null && run.ml !== undefined
            ? `<span class="ml" style="left:${x}%">${escapeHtml(run.ml)} ml</span>`
            : "";
        return `${ml}<span class="marker" data-result="${escapeHtml(run.result)}" tabindex="0"
          role="img" aria-label="${escapeHtml(text)}" title="${escapeHtml(text)}"
          data-tip="${escapeHtml(text)}" data-key="run-${escapeHtml(schedule.id)}-${index}"
          style="left:${x}%"></span>`;
      })
      .join("");
  }

  _bands(schedule) {
    return schedule.bands
      .map((band) => {
        const name = BAND_NAMES[band.kind] ?? band.kind;
        return this._band(band.start, band.end, `band-${band.kind}`, `${schedule.name}: ${name} ${this._span_text(band.start, band.end)}`);
      })
      .join("");
  }

  /** The line key under a row's name: each curve's dash and its target's name. */
  _curveKey(targets) {
    const drawn = plotted(targets);
    if (!drawn.length) return "";
    const items = drawn.map((target, index) => {
      const dash = DASHES[index % DASHES.length];
      return `<span class="key-item"><svg class="key-line" viewBox="0 0 18 4" aria-hidden="true">
        <line x1="0" y1="2" x2="18" y2="2" ${dash ? `stroke-dasharray="${dash}"` : ""}></line></svg>${escapeHtml(target.name)}</span>`;
    });
    return `<div class="key">${items.join("")}</div>`;
  }

  _curves(targets) {
    const drawn = plotted(targets);
    if (!drawn.length) return "";
    const paths = drawn
      .map((target, index) => {
        const d = pathOf(target.curve, (ms) => this._fraction(ms) * 1000);
        const dash = DASHES[index % DASHES.length];
        return `<path class="curve" d="${d}" data-entity="${escapeHtml(target.entity_id)}"
          tabindex="0" role="img" data-key="curve-${escapeHtml(target.entity_id)}"
          aria-label="${escapeHtml(`${target.name}: prescribed level`)}"
          ${dash ? `stroke-dasharray="${dash}"` : ""} vector-effect="non-scaling-stroke"></path>`;
      })
      .join("");
    // A margin above 100 % and below 0 % keeps whole strokes; the sides clip to the window.
    return `<svg class="plot" viewBox="0 -4 1000 108" preserveAspectRatio="none">${paths}</svg>`;
  }

  _drift(targets) {
    const drifting = targets.filter((t) => t.drift);
    if (!drifting.length) return "";
    const text = drifting
      .map((t) => {
        const now = t.level === null ? "unknown" : level(t.level);
        const want = t.prescribed === null ? "unknown" : level(t.prescribed);
        const who = drifting.length > 1 || this._config.rows !== "targets" ? `${t.name} ` : "";
        return `${who}${now} now, ${want} prescribed`;
      })
      .join("; ");
    const ids = drifting.map((t) => t.entity_id).join(" ");
    const key = `reapply-${ids}`;
    return `<div class="drift" data-drift="${escapeHtml(ids)}">
      <span class="drift-mark" aria-hidden="true">!</span>
      <span class="drift-text">Drift: ${escapeHtml(text)}</span>
      <button data-action="reapply" data-entities="${escapeHtml(ids)}" data-key="${escapeHtml(key)}"
        aria-label="${escapeHtml(`Re-apply ${drifting.map((t) => t.name).join(", ")}`)}">Re-apply</button>
    </div>`;
  }

  _renderScheduleRow(schedule) {
    const targets = this._day.targets.filter((t) => schedule.targets.includes(t.entity_id));
    // Levels that move (ramps, profiles, set levels) as lines; holds and waves are bands.
    const drawn = LEVEL_ACTIONS.includes(schedule.action) ? targets : [];
    const curves = this._curves(drawn);
    const paused = schedule.paused_until
      ? `<span class="badge">Paused until ${escapeHtml(this._time(Date.parse(schedule.paused_until)))}</span>`
      : "";
    const more = schedule.more ? `<span class="badge">more runs than shown</span>` : "";
    const name = escapeHtml(schedule.name);
    const id = escapeHtml(schedule.id);
    const toggle = schedule.enabled_entity
      ? `<button class="toggle" role="switch" aria-checked="${schedule.enabled}" data-action="toggle"
           data-id="${id}" data-key="toggle-${id}" aria-label="Enabled: ${name}">
           <span class="knob" aria-hidden="true"></span>Enabled</button>`
      : "";
    return `<div class="row schedule-row ${schedule.enabled ? "" : "disabled"}" data-schedule="${id}">
      <div class="name">
        <div class="name-line"><span class="label">${name}</span>
          <span class="kind">${escapeHtml(KIND_NAMES[schedule.type] ?? schedule.type)}</span>${paused}${more}</div>
        <div class="controls">${toggle}
          <button data-action="run" data-id="${id}" data-key="run-${id}" aria-label="Run now: ${name}">Run now</button>
          <button data-action="skip" data-id="${id}" data-key="skip-${id}" aria-label="Skip next: ${name}">Skip next</button>
        </div>
        ${drawn.length > 1 ? this._curveKey(drawn) : ""}${this._drift(targets)}
      </div>
      <div class="lane ${curves ? "with-plot" : ""}" data-key="lane-${id}">
        ${this._gridLines()}${this._careBands(schedule.targets)}${this._bands(schedule)}
        ${curves}${this._markers(schedule, false)}<div class="now" hidden></div>
      </div>
    </div>`;
  }

  _renderTargetRow(target) {
    const schedules = this._day.schedules.filter((s) => target.schedules.includes(s.id));
    const curves = this._curves([target]);
    const now =
      target.level === null ? "" : `<span class="kind">${escapeHtml(level(target.level))} now</span>`;
    const held = target.held ? `<span class="badge">${escapeHtml(CARE_NAMES[target.held] ?? target.held)}</span>` : "";
    const id = escapeHtml(target.entity_id);
    return `<div class="row target-row" data-entity="${id}">
      <div class="name">
        <div class="name-line"><span class="label">${escapeHtml(target.name)}</span>${now}${held}</div>
        <div class="kind by">${escapeHtml(schedules.map((s) => s.name).join(", "))}</div>
        ${this._drift([target])}
      </div>
      <div class="lane ${curves ? "with-plot" : ""}" data-key="lane-${id}">
        ${this._gridLines()}${this._careBands([target.entity_id])}
        ${schedules.map((s) => this._bands(s)).join("")}
        ${curves}${schedules.map((s) => this._markers(s, true)).join("")}<div class="now" hidden></div>
      </div>
    </div>`;
  }

  _renderLegend() {
    const shown = new Set();
    for (const schedule of this._day.schedules) for (const run of schedule.runs) shown.add(run.result);
    const results = RESULTS.filter((r) => shown.has(r));
    if (!results.length) return "";
    const items = results
      .map((r) => `<span class="legend-item"><span class="marker static" data-legend="${r}"></span>${r}</span>`)
      .join("");
    return `<div class="legend" aria-label="Run results">${items}</div>`;
  }
}

/** The targets that have a curve to draw. */
const plotted = (targets) => targets.filter((t) => Array.isArray(t.curve) && t.curve.some((p) => p[1] !== null));

/** An SVG path of a curve ([ISO, level|null] points), x from an instant, y 0 (100 %) to 100 (0 %). */
export function pathOf(curve, xOf) {
  const parts = [];
  let open = false;
  for (const [at, value] of curve) {
    if (value === null || value === undefined) {
      open = false;
      continue;
    }
    const x = Math.round(xOf(Date.parse(at)) * 100) / 100;
    const y = Math.round((100 - value) * 100) / 100;
    parts.push(`${open ? "L" : "M"}${x} ${y}`);
    open = true;
  }
  return parts.join(" ");
}

/** A curve's level at an instant (straight segments; at a jump the later value; null in a gap). */
export function levelAt(curve, ms) {
  if (!Array.isArray(curve) || !curve.length) return null;
  let before;
  for (const [at, value] of curve) {
    const t = Date.parse(at);
    if (t > ms) {
      if (!before || before[1] === null || value === null || value === undefined) {
        return before ? before[1] : null;
      }
      const share = (ms - before[0]) / (t - before[0]);
      return before[1] + (value - before[1]) * share;
    }
    before = [t, value ?? null];
  }
  return before ? before[1] : null;
}

// ----- the editor ------------------------------------------------------------------------------

const EDITOR_LABELS = {
  title: "Title",
  rows: "Rows",
  start: "Window starts at",
  hours: "Hours shown (empty: the local day)",
  schedules: "Schedules (none picked: all)",
  entities: "Targets (none picked: all)",
};

class ReefSchedulerCardEditor extends HTMLElement {
  constructor() {
    super();
    this.attachShadow({ mode: "open" });
    this._config = {};
    this._hass = undefined;
    this._schedules = undefined;
    this._form = undefined;
    this.shadowRoot.addEventListener("change", () => {
      if (!this._form) this._changed(this._plainValue());
    });
  }

  setConfig(config) {
    this._config = { ...config };
    this._render();
  }

  set hass(hass) {
    const first = !this._hass;
    this._hass = hass;
    if (this._form) this._form.hass = hass;
    if (first) this._loadSchedules();
  }

  async _loadSchedules() {
    try {
      const day = await this._hass.callWS({ type: `${DOMAIN}/day` });
      this._schedules = day.schedules.map((s) => ({ id: s.id, name: s.name }));
    } catch (err) {
      this._schedules = [];
    }
    this._form = undefined;
    this._render();
  }

  _schema() {
    const options = (this._schedules ?? []).map((s) => ({ value: s.id, label: s.name }));
    // Schedules picked earlier stay pickable while the answer has not come (or left them out).
    for (const id of this._config.schedules ?? []) {
      if (!options.some((o) => o.value === id)) options.push({ value: id, label: id });
    }
    return [
      { name: "title", selector: { text: {} } },
      {
        name: "rows",
        selector: {
          select: {
            mode: "dropdown",
            options: [
              { value: "schedules", label: "One per schedule" },
              { value: "targets", label: "One per target" },
            ],
          },
        },
      },
      {
        name: "start",
        selector: {
          select: {
            mode: "dropdown",
            options: [
              { value: "midnight", label: "Local midnight" },
              { value: "now", label: "Two hours ago" },
            ],
          },
        },
      },
      { name: "hours", selector: { number: { min: 1, max: 72, mode: "box", unit_of_measurement: "h" } } },
      { name: "schedules", selector: { select: { multiple: true, options } } },
      { name: "entities", selector: { entity: { multiple: true } } },
    ];
  }

  _data() {
    return {
      rows: "schedules",
      start: "midnight",
      ...this._config,
      title: this._config.title ?? DEFAULT_TITLE,
    };
  }

  _render() {
    if (customElements.get("ha-form")) this._renderForm();
    else this._renderPlain();
  }

  _renderForm() {
    if (!this._form) {
      this.shadowRoot.innerHTML = "";
      this._form = document.createElement("ha-form");
      this._form.computeLabel = (field) => EDITOR_LABELS[field.name] ?? field.name;
      this._form.addEventListener("value-changed", (ev) => this._changed(ev.detail.value));
      this.shadowRoot.append(this._form);
    }
    this._form.hass = this._hass;
    this._form.schema = this._schema();
    this._form.data = this._data();
  }

  /** Without ha-form (an older or a stripped frontend): plain inputs. */
  _renderPlain() {
    const data = this._data();
    const picked = new Set(data.schedules ?? []);
    const choice = (name, options) =>
      `<select name="${name}">${options
        .map(([value, text]) => `<option value="${value}" ${data[name] === value ? "selected" : ""}>${text}</option>`)
        .join("")}</select>`;
    const schedules = (this._schedules ?? [])
      .map(
        (s) => `<label class="check"><input type="checkbox" name="schedules" value="${escapeHtml(s.id)}"
          ${picked.has(s.id) ? "checked" : ""}>${escapeHtml(s.name)}</label>`,
      )
      .join("");
    this.shadowRoot.innerHTML = `<style>
        label { display: block; margin: 8px 0; color: var(--primary-text-color); }
        input, select { display: block; margin-top: 4px; width: 100%; box-sizing: border-box; }
        .check input { display: inline; width: auto; margin-right: 6px; }
      </style>
      <label>${EDITOR_LABELS.title}<input name="title" value="${escapeHtml(data.title)}"></label>
      <label>${EDITOR_LABELS.rows}${choice("rows", [["schedules", "One per schedule"], ["targets", "One per target"]])}</label>
      <label>${EDITOR_LABELS.start}${choice("start", [["midnight", "Local midnight"], ["now", "Two hours ago"]])}</label>
      <label>${EDITOR_LABELS.hours}<input name="hours" type="number" min="1" max="72" value="${escapeHtml(data.hours ?? "")}"></label>
      <fieldset><legend>${EDITOR_LABELS.schedules}</legend>${schedules}</fieldset>
      <label>${EDITOR_LABELS.entities}<input name="entities" placeholder="light.reef_blue, switch.wavemaker"
        value="${escapeHtml((data.entities ?? []).join(", "))}"></label>`;
  }

  _plainValue() {
    const root = this.shadowRoot;
    const value = (name) => root.querySelector(`[name="${name}"]`).value;
    const hours = value("hours");
    return {
      title: value("title"),
      rows: value("rows"),
      start: value("start"),
      hours: hours === "" ? undefined : Number(hours),
      schedules: [...root.querySelectorAll('[name="schedules"]:checked')].map((el) => el.value),
      entities: value("entities")
        .split(",")
        .map((id) => id.trim())
        .filter(Boolean),
    };
  }

  _changed(value) {
    const config = { ...this._config, ...value };
    // Defaults and empty picks are left out, so the YAML shows only what was chosen.
    for (const [key, fallback] of [["rows", "schedules"], ["start", "midnight"]]) {
      if (config[key] === fallback) delete config[key];
    }
    for (const key of ["schedules", "entities"]) if (!config[key]?.length) delete config[key];
    if (config.hours === undefined || config.hours === null || config.hours === "") delete config.hours;
    this._config = config;
    this.dispatchEvent(new CustomEvent("config-changed", { detail: { config }, bubbles: true, composed: true }));
    if (!this._form) this._render();
  }
}

const STYLE = `
  :host { display: block; }
  .card { position: relative; padding: 12px 16px 16px; color: var(--primary-text-color); }
  .head { display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 12px; margin-bottom: 8px; }
  .title { margin: 0; font-size: 1.3em; font-weight: 500; }
  .meta { display: flex; flex-wrap: wrap; gap: 4px 10px; color: var(--secondary-text-color); font-size: 0.9em; }
  .message { color: var(--secondary-text-color); margin: 16px 0; }
  .notice { display: flex; gap: 8px; align-items: center; justify-content: space-between;
    color: var(--error-color); margin: 4px 0 8px; }
  .grid { display: flex; flex-direction: column; gap: 2px; }
  .row { display: grid; grid-template-columns: minmax(140px, 28%) 1fr; gap: 10px; align-items: center;
    padding: 4px 0; border-top: 1px solid var(--divider-color); }
  .axis-row { border-top: none; padding: 0; }
  .narrow .row { grid-template-columns: 1fr; gap: 4px; }
  .narrow .axis-row .name { display: none; }
  .row.disabled .lane, .row.disabled .label { opacity: 0.55; }
  .name { min-width: 0; }
  .name-line { display: flex; flex-wrap: wrap; align-items: baseline; gap: 2px 8px; }
  .label { font-weight: 500; overflow-wrap: anywhere; }
  .kind { color: var(--secondary-text-color); font-size: 0.85em; }
  .badge { font-size: 0.8em; padding: 0 6px; border-radius: 8px; border: 1px solid var(--divider-color);
    color: var(--secondary-text-color); }
  .controls { display: flex; flex-wrap: wrap; gap: 4px; margin-top: 4px; }
  button { font: inherit; font-size: 0.85em; color: var(--primary-color); background: none;
    border: 1px solid var(--divider-color); border-radius: 14px; padding: 3px 10px; cursor: pointer;
    min-height: 28px; }
  button:hover { background: color-mix(in srgb, var(--primary-color) 10%, transparent); }
  button:focus-visible, .marker:focus-visible, path:focus-visible { outline: 2px solid var(--primary-color); outline-offset: 2px; }
  button:disabled { color: var(--disabled-text-color); cursor: default; }
  .toggle { display: inline-flex; align-items: center; gap: 6px; color: var(--primary-text-color); }
  .knob { width: 22px; height: 12px; border-radius: 6px; background: var(--disabled-text-color); position: relative; }
  .knob::after { content: ""; position: absolute; top: 1px; left: 1px; width: 10px; height: 10px;
    border-radius: 50%; background: var(--card-background-color, #fff); transition: left 0.15s; }
  .toggle[aria-checked="true"] .knob { background: var(--primary-color); }
  .toggle[aria-checked="true"] .knob::after { left: 11px; }
  .drift { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 8px; margin-top: 4px;
    color: var(--error-color); font-size: 0.85em; }
  .drift-mark { display: inline-grid; place-items: center; width: 16px; height: 16px; border-radius: 50%;
    background: var(--error-color); color: var(--card-background-color, #fff); font-weight: 700; font-size: 11px; }
  .drift button { color: var(--error-color); border-color: var(--error-color); }
  .lane { position: relative; height: 30px; }
  .lane.with-plot { height: 64px; }
  .axis { height: 20px; }
  .tick { position: absolute; bottom: 0; width: 1px; height: 5px; background: var(--divider-color); }
  .tick.midnight { height: 10px; background: var(--secondary-text-color); }
  .hour { position: absolute; bottom: 6px; transform: translateX(-50%); font-size: 11px;
    color: var(--secondary-text-color); font-variant-numeric: tabular-nums; }
  .gridline { position: absolute; top: 0; bottom: 0; width: 1px; background: var(--divider-color); opacity: 0.5; }
  .band { position: absolute; top: 0; bottom: 0; border-radius: 2px; }
  .band-hold { background: color-mix(in srgb, var(--primary-color) 16%, transparent); }
  .band-ramp { background: linear-gradient(90deg, transparent, color-mix(in srgb, var(--primary-color) 22%, transparent)); }
  .band-wave { background: repeating-linear-gradient(135deg,
    color-mix(in srgb, var(--primary-color) 22%, transparent) 0 4px, transparent 4px 8px); }
  .care { top: auto; height: 8px; bottom: 0; }
  .care-row .care { height: auto; top: 4px; bottom: 4px; }
  .care-feed { background: color-mix(in srgb, var(--warning-color) 45%, transparent); }
  .care-maintenance { background: color-mix(in srgb, var(--secondary-text-color) 35%, transparent); }
  .plot { position: absolute; left: 0; top: 2px; width: 100%; height: calc(100% - 16px); overflow: hidden; }
  .curve { fill: none; stroke: var(--primary-color); stroke-width: 2; stroke-linejoin: round; }
  .marker { position: absolute; bottom: 4px; width: 10px; height: 10px; margin-left: -6px; border-radius: 50%;
    border: 1px solid var(--card-background-color, #fff); box-sizing: content-box; cursor: default; }
  .lane:not(.with-plot) .marker { bottom: 9px; }
  .marker.static { position: static; display: inline-block; margin: 0 7px 0 3px; vertical-align: -1px; }
  [data-result="upcoming"], [data-legend="upcoming"] { background: var(--card-background-color, #fff);
    border: 2px solid var(--primary-color); width: 8px; height: 8px; }
  [data-result="running"], [data-legend="running"] { background: var(--primary-color);
    box-shadow: 0 0 0 3px color-mix(in srgb, var(--primary-color) 35%, transparent); }
  [data-result="success"], [data-legend="success"] { background: var(--success-color); }
  [data-result="failed"], [data-legend="failed"] { background: var(--error-color); }
  [data-result="skipped"], [data-legend="skipped"] { background: var(--disabled-text-color); }
  [data-result="interrupted"], [data-legend="interrupted"] { background: var(--warning-color); }
  .ml { position: absolute; bottom: 17px; transform: translateX(-50%); font-size: 10px; white-space: nowrap;
    color: var(--secondary-text-color); }
  .lane:not(.with-plot) .ml { bottom: 20px; }
  .now { position: absolute; top: -2px; bottom: -2px; width: 2px; margin-left: -1px; background: var(--error-color); }
  .axis .now { top: auto; height: 6px; bottom: 0; }
  .key { display: flex; flex-wrap: wrap; gap: 2px 10px; margin-top: 4px; font-size: 0.8em;
    color: var(--secondary-text-color); }
  .key-item { display: inline-flex; align-items: center; gap: 4px; }
  .key-line { width: 18px; height: 4px; stroke: var(--primary-color); stroke-width: 2; }
  .legend { display: flex; flex-wrap: wrap; gap: 4px 14px; margin-top: 10px; font-size: 0.85em;
    color: var(--secondary-text-color); }
  .tip { position: absolute; z-index: 2; pointer-events: none; max-width: 280px; padding: 4px 8px;
    border-radius: 4px; font-size: 12px; background: var(--primary-text-color); color: var(--card-background-color, #fff); }
  .tip[hidden] { display: none; }
`;

if (!customElements.get(CARD)) customElements.define(CARD, ReefSchedulerCard);
if (!customElements.get(EDITOR)) customElements.define(EDITOR, ReefSchedulerCardEditor);

window.customCards = window.customCards || [];
if (!window.customCards.some((card) => card.type === CARD)) {
  window.customCards.push({
    type: CARD,
    name: "Reef Scheduler day",
    description: "A day of the reef: runs, light curves, waves, doses, care and drift.",
    preview: false,
    documentationURL: "https://github.com/reef-scheduler/reef-scheduler#lovelace-card",
  });
}
