// The console's entry: credentials from the link's fragment, the hash router, the top bar and
// each view's lifetime (its requests, timers and dialogs end when another view starts).
import { ApiError, api, session, signIn, signOut } from './api.js';
import { h, replace } from './dom.js';
import * as views from './views.js';

const main = document.querySelector('[data-testid=main]');
const who = document.querySelector('[data-testid=who]');
const tabs = document.querySelector('[data-testid=tabs]');
const signOutButton = document.querySelector('[data-testid=sign-out]');

// A console link carries its credential in the fragment (#token=…, or #account=…&token=… for a
// portal session), which never reaches a server log or a Referer. The page keeps it for the tab
// only and takes it out of the address bar and the history at once.
function takeCredentials() {
  const raw = location.hash.slice(1);
  if (raw.startsWith('/')) return;
  const p = new URLSearchParams(raw);
  const token = p.get('token');
  if (!token) return;
  const account = p.get('account') || '';
  signIn(token, account);
  const route = account ? `#/accounts/${encodeURIComponent(account)}` : '#/accounts';
  history.replaceState(null, '', location.pathname + location.search + route);
}

const accountTabs = [
  ['subscriptions', 'Subscriptions'],
  ['deliveries', 'Deliveries'],
  ['activity', 'Activity'],
  ['events', 'Events'],
  ['portal', 'Portal links'],
];

const accountNames = new Map();

let current = null;

// context is what a view gets: where to draw, whose data, and hooks that end with the view.
function context(accountId, query) {
  const controller = new AbortController();
  const leaving = [];
  const errorSlot = h('div', { class: 'error-slot' });
  const root = h('div', { class: 'view' });
  replace(main, errorSlot, root);
  const ctx = {
    main: root,
    accountId,
    query,
    session: session(),
    signal: controller.signal,
    alive: true,
    onLeave: (fn) => leaving.push(fn),
    go: (hash) => {
      if (location.hash === hash) render();
      else location.hash = hash;
    },
    // report shows an error above the view; a refused token ends the session.
    report: (err) => {
      if (!ctx.alive || (err && err.name === 'AbortError')) return;
      if (err instanceof ApiError && err.status === 401) {
        signOut();
        render('The service refused this token: it is wrong, expired or revoked.');
        return;
      }
      replace(errorSlot, views.errorBox(err));
    },
    clearError: () => errorSlot.replaceChildren(),
    // every runs fn every ms while the tab is visible, once at a time, and at once when the
    // tab becomes visible again; the returned function runs it now.
    every: (ms, fn) => {
      let busy = false;
      const tick = async () => {
        if (!ctx.alive || busy || document.visibilityState !== 'visible') return;
        busy = true;
        try {
          await fn();
        } catch (err) {
          ctx.report(err);
        } finally {
          busy = false;
        }
      };
      const id = setInterval(tick, ms);
      const onVisible = () => document.visibilityState === 'visible' && tick();
      document.addEventListener('visibilitychange', onVisible);
      leaving.push(() => {
        clearInterval(id);
        document.removeEventListener('visibilitychange', onVisible);
      });
      return tick;
    },
    leave: () => {
      ctx.alive = false;
      controller.abort();
      for (const fn of leaving) fn();
    },
  };
  return ctx;
}

function parseRoute() {
  const [path, qs] = location.hash.replace(/^#\/?/, '').split('?');
  const parts = path.split('/').filter(Boolean).map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  return { parts, query: new URLSearchParams(qs || '') };
}

function drawTop(s, accountId, tab) {
  signOutButton.hidden = !s.token;
  tabs.replaceChildren();
  who.replaceChildren();
  if (!s.token) return;
  who.append(h('span', { class: 'role', testid: 'role' }, s.tenant ? 'Portal' : 'Operator'));
  if (!s.tenant) tabs.append(h('a', { href: '#/accounts', testid: 'tab-accounts', 'aria-current': !accountId ? 'page' : false }, 'Accounts'));
  if (!accountId) return;
  const name = h('span', { class: 'account-name', testid: 'account-name' }, accountNames.get(accountId) || '');
  who.append(name);
  if (!accountNames.has(accountId)) {
    api.getAccount(accountId).then((a) => {
      accountNames.set(accountId, a.name);
      name.textContent = a.name;
    }, () => {});
  }
  for (const [id, label] of accountTabs) {
    if (id === 'portal' && s.tenant) continue;
    tabs.append(h('a', { href: `#/accounts/${encodeURIComponent(accountId)}/${id}`, testid: `tab-${id}`, 'aria-current': id === tab ? 'page' : false }, label));
  }
}

async function render(message) {
  if (current) current.leave();
  current = null;
  const s = session();
  if (!s.token) {
    drawTop(s);
    views.signInView(main, message, (token) => {
      signIn(token.trim(), '');
      history.replaceState(null, '', location.pathname + location.search + '#/accounts');
      render();
    });
    return;
  }
  const { parts, query } = parseRoute();
  // A portal session lives in its own account; the service answers 404 for any other.
  if (parts[0] !== 'accounts' || !parts[1]) {
    if (s.tenant) {
      if (!s.account) {
        drawTop(s);
        replace(main, views.errorBox(new Error('This portal link does not name its account; ask for a new link.')));
        return;
      }
      location.replace(`#/accounts/${encodeURIComponent(s.account)}/subscriptions`);
      return;
    }
    drawTop(s);
    current = context('', query);
    return run(current, views.accountsView);
  }
  const accountId = parts[1];
  const tab = parts[2] || 'subscriptions';
  if (!parts[2]) {
    location.replace(`#/accounts/${encodeURIComponent(accountId)}/subscriptions`);
    return;
  }
  drawTop(s, accountId, tab);
  current = context(accountId, query);
  const sub = parts[3];
  const view = {
    subscriptions: views.subscriptionsView,
    deliveries: sub ? (ctx) => views.deliveryView(ctx, sub) : views.deliveriesView,
    activity: views.activityView,
    events: sub ? (ctx) => views.eventView(ctx, sub) : views.eventsView,
    portal: views.portalView,
  }[tab];
  if (!view || (tab === 'portal' && s.tenant)) {
    replace(current.main, views.errorBox(new Error(`The console has no page ${tab} here.`)));
    return;
  }
  return run(current, view);
}

async function run(ctx, view) {
  try {
    await view(ctx);
  } catch (err) {
    ctx.report(err);
  }
}

signOutButton.addEventListener('click', () => {
  signOut();
  history.replaceState(null, '', location.pathname + location.search);
  render();
});
window.addEventListener('hashchange', () => {
  takeCredentials();
  render();
});
takeCredentials();
render();
