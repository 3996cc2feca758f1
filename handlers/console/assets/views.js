// The console's pages. Each takes a view context (app.js) and draws into ctx.main.
import { ApiError, api, describe } from './api.js';
import { badge, copyButton, fromLocalInput, h, json, replace, time, toLocalInput } from './dom.js';
import { legend, statsChart } from './chart.js';
import { openRecover, openRotate, openTestEvent, resend, setEnabled } from './actions.js';

// The delivery list refreshes this often while the tab is visible; the chart a little less.
const liveEvery = 3000;
const statsEvery = 5000;

export function errorBox(err) {
  return h('div', { class: 'error', role: 'alert', testid: 'view-error' }, describe(err));
}

function accountPath(ctx, ...rest) {
  return ['#/accounts', encodeURIComponent(ctx.accountId), ...rest].join('/');
}

function table(testid, headings) {
  const body = h('tbody');
  const el = h('table', { class: 'list', testid }, h('thead', {}, h('tr', {}, headings.map((t) => h('th', {}, t)))), body);
  return { el, body };
}

function select(testid, options, value, onchange) {
  return h('select', { testid, onchange },
    options.map(([v, label]) => h('option', { value: v, selected: v === value }, label)));
}

export function signInView(main, message, onToken) {
  const input = h('input', { type: 'password', testid: 'token-input', autocomplete: 'off', placeholder: 'Admin token', required: true });
  const form = h('form', { class: 'row' }, input, h('button', { type: 'submit', testid: 'token-submit' }, 'Sign in'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (input.value.trim()) onToken(input.value);
  });
  replace(main, h('section', { class: 'signin', testid: 'signin' },
    h('h1', {}, 'Sign in'),
    message ? h('p', { class: 'error', role: 'alert', testid: 'signin-message' }, message) : null,
    h('p', {}, 'Open the console link that the service printed at start, or a portal link you were given, or paste the admin token.'),
    form));
}

export async function accountsView(ctx) {
  const { el, body } = table('accounts-table', ['Name', 'Account id', 'Created']);
  const more = h('button', { type: 'button', class: 'quiet', testid: 'accounts-more', hidden: true }, 'Load more');
  const empty = h('div');
  replace(ctx.main, h('h1', {}, 'Accounts'), empty, el, more);
  let pageToken;
  const load = async () => {
    const page = await api.listAccounts({ limit: 50, pageToken }, ctx.signal);
    for (const a of page.results) {
      const href = accountPath({ accountId: a.id });
      body.append(h('tr', { class: 'clickable', testid: 'account-row', 'data-account-id': a.id, onclick: () => ctx.go(href) },
        h('td', {}, h('a', { href, testid: 'account-link' }, a.name)),
        h('td', { class: 'mono' }, a.id),
        h('td', {}, time(a.createdAt))));
    }
    pageToken = page.nextPageToken;
    more.hidden = !pageToken;
    replace(empty, body.children.length ? null : h('p', { class: 'muted', testid: 'accounts-empty' }, 'No accounts yet.'));
  };
  more.addEventListener('click', () => load().catch(ctx.report));
  await load();
}

const states = [['', 'Every state'], ['active', 'Active'], ['failing', 'Failing'], ['disabled', 'Disabled']];
const dialects = [['', 'Every dialect'], ['voucherify', 'Voucherify'], ['bird', 'Bird'], ['superoffice', 'SuperOffice'], ['shipping', 'Shipping'], ['arkyn', 'Arkyn']];

export async function subscriptionsView(ctx) {
  const q = ctx.query;
  const filter = (k) => (e) => {
    q.set(k, e.target.value);
    if (!e.target.value) q.delete(k);
    draw();
  };
  const { el, body } = table('subscriptions-table', ['State', 'Dialect', 'Name', 'URL', 'Events', 'Failures', 'Last error', '']);
  const empty = h('div');
  replace(ctx.main, h('h1', {}, 'Subscriptions'),
    h('div', { class: 'filters' }, select('filter-state', states, q.get('state') || '', filter('state')),
      select('filter-dialect', dialects, q.get('dialect') || '', filter('dialect'))),
    empty, el);
  let subs = [];
  function draw() {
    body.replaceChildren();
    const shown = subs.filter((s) => (!q.get('state') || s.state === q.get('state')) && (!q.get('dialect') || s.dialect === q.get('dialect')));
    for (const s of shown) body.append(subscriptionRow(ctx, s, reload));
    replace(empty, shown.length ? null : h('p', { class: 'muted', testid: 'subscriptions-empty' }, subs.length ? 'No subscription matches.' : 'No subscriptions yet.'));
  }
  async function reload() {
    const list = await api.listSubscriptions(ctx.accountId, ctx.signal);
    subs = list.results;
    ctx.clearError();
    draw();
  }
  await reload();
  ctx.every(statsEvery, reload);
}

function subscriptionRow(ctx, s, reload) {
  const deliveries = `${accountPath(ctx, 'deliveries')}?subscriptionUuid=${encodeURIComponent(s.id)}`;
  const act = (label, testid, fn, attrs = {}) => h('button', { type: 'button', class: 'small', testid, onclick: fn, ...attrs }, label);
  return h('tr', { testid: 'subscription-row', 'data-subscription-id': s.id, 'data-external-id': s.externalId, 'data-state': s.state },
    h('td', {}, badge(s.state, 'subscription-state'), s.statusReason ? h('div', { class: 'muted small' }, s.statusReason) : null),
    h('td', {}, s.dialect),
    h('td', {}, h('div', {}, s.name || '—'), h('div', { class: 'mono small muted' }, s.externalId)),
    h('td', { class: 'mono small wrap' }, s.url),
    h('td', { class: 'small' }, (s.events || []).join(', ') || 'every event'),
    h('td', { testid: 'subscription-failures' }, String(s.consecutiveFailures ?? 0)),
    h('td', { class: 'small wrap' }, s.lastError || ''),
    h('td', { class: 'actions' },
      h('a', { href: deliveries, class: 'button small quiet', testid: 'sub-deliveries' }, 'Deliveries'),
      act('Test event', 'sub-test', () => openTestEvent(ctx, s)),
      act('Rotate secret', 'sub-rotate', () => openRotate(ctx, s), s.dialect === 'arkyn' ? { disabled: true, title: 'Arkyn deliveries are not signed' } : {}),
      act('Recover', 'sub-recover', () => openRecover(ctx, s, reload)),
      s.state === 'disabled'
        ? act('Enable', 'sub-enable', () => setEnabled(ctx, s, true, reload))
        : act('Disable', 'sub-disable', () => setEnabled(ctx, s, false, reload), { class: 'small danger' })));
}

// Deliveries the list has shown, so that a delivery's page can draw at once.
const listed = new Map();

const deliveryStates = [['', 'Every status'], ['pending', 'Pending'], ['succeeded', 'Succeeded'], ['failed', 'Failed'], ['dropped', 'Dropped']];
const deliveryFilters = ['status', 'dialect', 'eventType', 'subscriptionUuid', 'since', 'until'];

export async function deliveriesView(ctx) {
  const q = ctx.query;
  const refilter = (k, v) => {
    if (v) q.set(k, v);
    else q.delete(k);
    ctx.go(`${accountPath(ctx, 'deliveries')}${q.toString() ? '?' + q : ''}`);
  };
  const onInput = (k, conv = (v) => v) => (e) => refilter(k, conv(e.target.value));
  const localValue = (iso) => (iso ? toLocalInput(new Date(iso)) : '');
  const live = h('input', { type: 'checkbox', checked: true, testid: 'live-toggle' });
  const refreshed = h('span', { class: 'muted small', testid: 'deliveries-refreshed' });
  const { el, body } = table('deliveries-table', ['Created', 'Status', 'Dialect', 'Event', 'Subscription', 'Attempts', 'Last answer']);
  const more = h('button', { type: 'button', class: 'quiet', testid: 'deliveries-more', hidden: true }, 'Load more');
  const empty = h('div');
  replace(ctx.main,
    h('div', { class: 'title-row' }, h('h1', {}, 'Deliveries'), h('label', { class: 'live' }, live, ' Live'), refreshed),
    h('div', { class: 'filters', testid: 'delivery-filters' },
      select('filter-status', deliveryStates, q.get('status') || '', onInput('status')),
      select('filter-dialect', dialects, q.get('dialect') || '', onInput('dialect')),
      h('input', { type: 'text', placeholder: 'Event type', testid: 'filter-event-type', value: q.get('eventType') || '', onchange: onInput('eventType', (v) => v.trim()) }),
      h('input', { type: 'text', placeholder: 'Subscription uuid', class: 'mono', testid: 'filter-subscription', value: q.get('subscriptionUuid') || '', onchange: onInput('subscriptionUuid', (v) => v.trim()) }),
      h('label', {}, 'Since ', h('input', { type: 'datetime-local', testid: 'filter-since', value: localValue(q.get('since')), onchange: onInput('since', fromLocalInput) })),
      h('label', {}, 'Until ', h('input', { type: 'datetime-local', testid: 'filter-until', value: localValue(q.get('until')), onchange: onInput('until', fromLocalInput) })),
      deliveryFilters.some((k) => q.get(k)) ? h('a', { href: accountPath(ctx, 'deliveries'), class: 'small', testid: 'filter-clear' }, 'Clear filters') : null),
    empty, el, more);
  const filters = {};
  for (const k of deliveryFilters) if (q.get(k)) filters[k] = q.get(k);
  let pageToken;
  let shown = 0;
  const row = (d) => {
    listed.set(`${ctx.accountId}/${d.id}`, d);
    const href = accountPath(ctx, 'deliveries', encodeURIComponent(d.id));
    return h('tr', { class: 'clickable', testid: 'delivery-row', 'data-delivery-id': d.id, 'data-status': d.status, onclick: () => ctx.go(href) },
      h('td', {}, h('a', { href, testid: 'delivery-link' }, time(d.createdAt))),
      h('td', {}, badge(d.status, 'delivery-status')),
      h('td', {}, d.dialect),
      h('td', {}, d.eventType),
      h('td', { class: 'mono small' }, d.subscriptionId),
      h('td', {}, String(d.attempts)),
      h('td', { class: 'small wrap' }, d.lastStatusCode ? `HTTP ${d.lastStatusCode}` : '', d.lastError ? h('div', { class: 'muted' }, d.lastError) : null));
  };
  const stamp = () => replace(refreshed, `Updated ${new Date().toLocaleTimeString()}`);
  // The first page, as large as what is shown, replaces the list: new deliveries appear on top.
  const refresh = async () => {
    const limit = Math.min(100, Math.max(20, shown));
    const page = await api.listDeliveries(ctx.accountId, { ...filters, limit }, ctx.signal);
    body.replaceChildren(...page.results.map(row));
    shown = page.results.length;
    pageToken = page.nextPageToken;
    more.hidden = !pageToken;
    replace(empty, shown ? null : h('p', { class: 'muted', testid: 'deliveries-empty' }, 'No deliveries match.'));
    ctx.clearError();
    stamp();
  };
  more.addEventListener('click', async () => {
    try {
      const page = await api.listDeliveries(ctx.accountId, { ...filters, limit: 50, pageToken }, ctx.signal);
      body.append(...page.results.map(row));
      shown += page.results.length;
      pageToken = page.nextPageToken;
      more.hidden = !pageToken;
    } catch (err) {
      ctx.report(err);
    }
  });
  await refresh();
  // Live refresh stops once more than a page of 100 is shown: it would replace what was loaded.
  ctx.every(liveEvery, async () => {
    if (live.checked && shown <= 100) await refresh();
  });
}

function headersTable(headers, testid) {
  const names = Object.keys(headers || {}).sort();
  if (!names.length) return h('p', { class: 'muted small' }, 'No headers.');
  return h('table', { class: 'headers', testid }, h('tbody', {}, names.map((n) => h('tr', {}, h('th', {}, n), h('td', { class: 'mono' }, headers[n])))));
}

function attemptCard(a) {
  return h('section', { class: 'attempt', testid: 'attempt', 'data-attempt': a.attempt, 'data-status-code': a.statusCode, 'data-trigger': a.trigger || false },
    h('header', {},
      h('strong', {}, `Attempt ${a.attempt}`),
      a.trigger ? badge(a.trigger, 'attempt-trigger') : null,
      h('span', { testid: 'attempt-status-code', class: a.statusCode >= 200 && a.statusCode < 300 ? 'ok' : 'bad' }, a.statusCode ? `HTTP ${a.statusCode}` : 'no answer'),
      a.errorClass && a.errorClass !== 'none' ? badge(a.errorClass, 'attempt-error-class') : null,
      h('span', { class: 'muted' }, `${a.durationMs} ms`),
      time(a.createdAt)),
    a.error ? h('p', { class: 'error-text', testid: 'attempt-error' }, a.error) : null,
    h('p', { class: 'muted small' }, 'Request id ', h('code', {}, a.requestId)),
    a.request ? h('details', { open: true, testid: 'attempt-request' },
      h('summary', {}, 'Request to ', h('span', { class: 'mono', testid: 'attempt-request-url' }, a.request.url), ` (${a.request.bodyBytes} bytes)`),
      headersTable(a.request.headers, 'attempt-request-headers')) : null,
    a.response ? h('details', { open: true, testid: 'attempt-response' },
      h('summary', {}, 'Answer'),
      headersTable(a.response.headers, 'attempt-response-headers'),
      h('pre', { testid: 'attempt-response-body' }, a.response.body || ''),
      a.response.bodyTruncated ? h('p', { class: 'muted small' }, 'Only the first 4,096 bytes were kept.') : null)
      : a.request ? h('p', { class: 'muted small', testid: 'attempt-no-response' }, 'No answer came.') : null);
}

export async function deliveryView(ctx, deliveryId) {
  const key = `${ctx.accountId}/${deliveryId}`;
  const summary = h('div');
  const attempts = h('div', { testid: 'attempts' });
  const payload = h('div', { testid: 'delivery-payload' });
  const note = h('p', { class: 'muted small', testid: 'delivery-note' });
  const resendResult = h('span', { class: 'muted', testid: 'delivery-resend-result' });
  const resendButton = h('button', { type: 'button', testid: 'delivery-resend' }, 'Resend');
  replace(ctx.main,
    h('p', {}, h('a', { href: accountPath(ctx, 'deliveries'), testid: 'back-to-deliveries' }, '← Deliveries')),
    h('div', { class: 'title-row' }, h('h1', {}, 'Delivery'), resendButton, resendResult),
    note, summary, h('h2', {}, 'Attempts'), attempts, h('h2', {}, 'Event'), payload);
  let current;
  let eventShown = '';
  const show = (d) => {
    current = d;
    listed.set(key, d);
    const field = (label, value, testid) => [h('dt', {}, label), h('dd', { testid }, value)];
    replace(summary, h('dl', { class: 'fields', testid: 'delivery-detail', 'data-delivery-id': d.id, 'data-status': d.status },
      field('Status', badge(d.status, 'delivery-detail-status')),
      field('Delivery id', h('code', {}, d.id)),
      field('Dialect', d.dialect),
      field('Event', [d.eventType, ' ', h('code', { class: 'small' }, d.eventId)]),
      field('Subscription', [h('code', {}, d.subscriptionId), d.subscriptionUuid ? [' ', h('code', { class: 'small muted' }, d.subscriptionUuid)] : null]),
      field('Attempts', String(d.attempts), 'delivery-attempts'),
      field(d.status === 'pending' ? 'Next attempt' : 'Last change', time(d.status === 'pending' ? d.nextAttemptAt : d.updatedAt)),
      field('Created', time(d.createdAt)),
      d.lastError ? field('Last error', d.lastError, 'delivery-last-error') : null));
    const log = [...(d.attemptLog || [])].sort((a, b) => b.attempt - a.attempt);
    replace(attempts, log.length ? log.map(attemptCard) : h('p', { class: 'muted', testid: 'attempts-empty' }, 'Not attempted yet.'));
    if (eventShown !== d.eventId) {
      eventShown = d.eventId;
      api.getEvent(ctx.accountId, d.eventId, ctx.signal).then(
        (ev) => replace(payload, h('p', { class: 'small muted' }, `${ev.type} · ${ev.externalId} · `, time(ev.createdAt)), h('pre', { testid: 'delivery-event-data' }, json(ev.data))),
        (err) => err.name !== 'AbortError' && replace(payload, h('p', { class: 'muted small', testid: 'delivery-event-unavailable' }, `The event's payload is unavailable: ${describe(err)}`)));
    }
  };
  // The delivery's own page; where the service has none for it, the copy the list showed.
  let own = true;
  const load = async () => {
    try {
      show(await api.getDelivery(ctx.accountId, deliveryId, ctx.signal));
      replace(note);
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404 && listed.has(key) && !current)) throw err;
      own = false;
      show(listed.get(key));
      replace(note, 'As the delivery list showed it.');
    }
  };
  resendButton.addEventListener('click', () => resend(ctx, current, resendButton, resendResult, (d) => show(d)));
  await load();
  ctx.every(liveEvery, async () => {
    if (own) show(await api.getDelivery(ctx.accountId, deliveryId, ctx.signal));
  });
}

export async function activityView(ctx) {
  const chart = h('div', { class: 'chart-box' });
  const totals = h('div', { class: 'totals' });
  replace(ctx.main, h('div', { class: 'title-row' }, h('h1', {}, 'Activity'), h('span', { class: 'muted' }, 'the last hour, per minute')), totals, chart, legend());
  const load = async () => {
    const stats = await api.deliveryStats(ctx.accountId, ctx.signal);
    const minutes = stats.minutes || [];
    const sum = (k) => minutes.reduce((n, m) => n + (m[k] || 0), 0);
    const ok = sum('succeeded'), bad = sum('failed');
    replace(totals,
      h('div', { class: 'total' }, h('span', { class: 'big', testid: 'stats-succeeded' }, String(ok)), ' succeeded'),
      h('div', { class: 'total' }, h('span', { class: 'big', testid: 'stats-failed' }, String(bad)), ' failed'),
      h('div', { class: 'total' }, h('span', { class: 'big', testid: 'stats-success-rate' }, ok + bad ? `${((100 * ok) / (ok + bad)).toFixed(1)}%` : '—'), ' success'));
    replace(chart, statsChart(minutes));
    ctx.clearError();
  };
  await load();
  ctx.every(statsEvery, load);
}

export async function eventsView(ctx) {
  const q = ctx.query;
  const refilter = (k, v) => {
    if (v) q.set(k, v);
    else q.delete(k);
    ctx.go(`${accountPath(ctx, 'events')}${q.toString() ? '?' + q : ''}`);
  };
  const localValue = (iso) => (iso ? toLocalInput(new Date(iso)) : '');
  const { el, body } = table('events-table', ['Created', 'Type', 'Your id', 'Scope']);
  const more = h('button', { type: 'button', class: 'quiet', testid: 'events-more', hidden: true }, 'Load more');
  const empty = h('div');
  replace(ctx.main, h('h1', {}, 'Events'),
    h('div', { class: 'filters' },
      h('input', { type: 'text', placeholder: 'Event type', testid: 'filter-type', value: q.get('type') || '', onchange: (e) => refilter('type', e.target.value.trim()) }),
      h('label', {}, 'Since ', h('input', { type: 'datetime-local', testid: 'filter-since', value: localValue(q.get('since')), onchange: (e) => refilter('since', fromLocalInput(e.target.value)) })),
      h('label', {}, 'Until ', h('input', { type: 'datetime-local', testid: 'filter-until', value: localValue(q.get('until')), onchange: (e) => refilter('until', fromLocalInput(e.target.value)) }))),
    empty, el, more);
  const filters = {};
  for (const k of ['type', 'since', 'until']) if (q.get(k)) filters[k] = q.get(k);
  let pageToken;
  const load = async () => {
    const page = await api.listEvents(ctx.accountId, { ...filters, limit: 50, pageToken }, ctx.signal);
    for (const ev of page.results) {
      const href = accountPath(ctx, 'events', encodeURIComponent(ev.id));
      body.append(h('tr', { class: 'clickable', testid: 'event-row', 'data-event-id': ev.id, onclick: () => ctx.go(href) },
        h('td', {}, h('a', { href }, time(ev.createdAt))),
        h('td', {}, ev.type),
        h('td', { class: 'mono small' }, ev.externalId),
        h('td', { class: 'small' }, ev.scope ? `${ev.scope.dialect} ${ev.scope.id}` : 'every subscription')));
    }
    pageToken = page.nextPageToken;
    more.hidden = !pageToken;
    replace(empty, body.children.length ? null : h('p', { class: 'muted', testid: 'events-empty' }, 'No events match.'));
  };
  more.addEventListener('click', () => load().catch(ctx.report));
  await load();
}

export async function eventView(ctx, eventId) {
  const ev = await api.getEvent(ctx.accountId, eventId, ctx.signal);
  const attrs = Object.entries(ev.attributes || {});
  replace(ctx.main,
    h('p', {}, h('a', { href: accountPath(ctx, 'events') }, '← Events')),
    h('h1', {}, 'Event'),
    h('dl', { class: 'fields', testid: 'event-detail' },
      h('dt', {}, 'Type'), h('dd', {}, ev.type),
      h('dt', {}, 'Event id'), h('dd', {}, h('code', {}, ev.id)),
      h('dt', {}, 'Your id'), h('dd', {}, h('code', {}, ev.externalId)),
      h('dt', {}, 'Scope'), h('dd', {}, ev.scope ? `${ev.scope.dialect} ${ev.scope.id}` : 'every subscription'),
      h('dt', {}, 'Created'), h('dd', {}, time(ev.createdAt))),
    h('h2', {}, 'Data'), h('pre', { testid: 'event-detail-data' }, json(ev.data ?? {})),
    attrs.length ? [h('h2', {}, 'Attributes'), headersTable(ev.attributes, 'event-attributes')] : null);
}

export async function portalView(ctx) {
  const ttl = select('portal-ttl', [['3600', '1 hour'], ['86400', '1 day'], ['604800', '7 days']], '3600');
  const created = h('div', { testid: 'portal-created' });
  const { el, body } = table('portal-sessions-table', ['Created', 'Expires', 'State', '']);
  const form = h('form', { class: 'row' }, h('label', {}, 'Valid for ', ttl), h('button', { type: 'submit', testid: 'portal-create' }, 'Create portal link'));
  replace(ctx.main, h('h1', {}, 'Portal links'),
    h('p', { class: 'muted' }, "A portal link opens this console on this account only, for the account's own people: its subscriptions, deliveries and events, and the same buttons."),
    form, created, h('h2', {}, 'Sessions'), el);
  const reload = async () => {
    const list = await api.listPortalSessions(ctx.accountId, ctx.signal);
    body.replaceChildren(...list.results.map((p) => {
      const expired = new Date(p.expiresAt) <= new Date();
      const state = p.revokedAt ? 'revoked' : expired ? 'expired' : 'active';
      return h('tr', { testid: 'portal-session-row', 'data-session-id': p.id, 'data-state': state },
        h('td', {}, time(p.createdAt)), h('td', {}, time(p.expiresAt)), h('td', {}, badge(state)),
        h('td', {}, state === 'active' ? h('button', { type: 'button', class: 'small danger', testid: 'portal-revoke', onclick: async () => {
          try {
            await api.revokePortalSession(ctx.accountId, p.id);
            await reload();
          } catch (err) {
            ctx.report(err);
          }
        } }, 'Revoke') : null));
    }));
  };
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const p = await api.createPortalSession(ctx.accountId, { ttlSeconds: Number(ttl.value) });
      replace(created, h('div', { class: 'notice' },
        h('p', {}, 'The link, shown this once; it is valid until ', time(p.expiresAt), ':'),
        h('div', { class: 'row' }, h('input', { type: 'text', readonly: true, class: 'mono wide', testid: 'portal-url', value: p.url }), copyButton(p.url, 'portal-copy'))));
      await reload();
    } catch (err) {
      ctx.report(err);
    }
  });
  await reload();
}
