// The console's only way to the service: the public admin API of openapi.yaml, with the
// session's bearer token. Every operation the console uses is named here by its operationId.

export const operations = {
  adminListAccounts: ['GET', '/admin/v1/accounts'],
  adminGetAccount: ['GET', '/admin/v1/accounts/{accountId}'],
  adminListDeliveries: ['GET', '/admin/v1/accounts/{accountId}/deliveries'],
  adminGetDelivery: ['GET', '/admin/v1/accounts/{accountId}/deliveries/{deliveryId}'],
  adminResendDelivery: ['POST', '/admin/v1/accounts/{accountId}/deliveries/{deliveryId}/resend'],
  adminListEvents: ['GET', '/admin/v1/accounts/{accountId}/events'],
  adminGetEvent: ['GET', '/admin/v1/accounts/{accountId}/events/{eventId}'],
  adminListSubscriptions: ['GET', '/admin/v1/accounts/{accountId}/subscriptions'],
  adminEnableSubscription: ['POST', '/admin/v1/accounts/{accountId}/subscriptions/{subscriptionUuid}/enable'],
  adminDisableSubscription: ['POST', '/admin/v1/accounts/{accountId}/subscriptions/{subscriptionUuid}/disable'],
  adminRecoverSubscription: ['POST', '/admin/v1/accounts/{accountId}/subscriptions/{subscriptionUuid}/recover'],
  adminSendTestEvent: ['POST', '/admin/v1/accounts/{accountId}/subscriptions/{subscriptionUuid}/test'],
  adminRotateSecret: ['POST', '/admin/v1/accounts/{accountId}/subscriptions/{subscriptionUuid}/rotate-secret'],
  adminDeliveryStats: ['GET', '/admin/v1/accounts/{accountId}/delivery-stats'],
  adminCreatePortalSession: ['POST', '/admin/v1/accounts/{accountId}/portal-sessions'],
  adminListPortalSessions: ['GET', '/admin/v1/accounts/{accountId}/portal-sessions'],
  adminRevokePortalSession: ['DELETE', '/admin/v1/accounts/{accountId}/portal-sessions/{sessionId}'],
};

// ApiError is an answer other than 2xx, with the service's code and message.
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || `HTTP ${status}`);
    this.status = status;
    this.code = code || '';
  }
}

// describe words an error for the page: the service's message and status.
export function describe(err) {
  if (err instanceof ApiError) return `${err.message} (HTTP ${err.status})`;
  return String((err && err.message) || err);
}

const tokenKey = 'webhookd.console.token';
const accountKey = 'webhookd.console.account';

// session is what the tab signed in with: the token, and for a portal session its account.
export function session() {
  const token = sessionStorage.getItem(tokenKey) || '';
  const account = sessionStorage.getItem(accountKey) || '';
  return { token, account, tenant: token.startsWith('wps_') };
}

export function signIn(token, account) {
  sessionStorage.setItem(tokenKey, token);
  if (account) sessionStorage.setItem(accountKey, account);
  else sessionStorage.removeItem(accountKey);
}

export function signOut() {
  sessionStorage.removeItem(tokenKey);
  sessionStorage.removeItem(accountKey);
}

// The API lives beside /console, so the page also works behind a path prefix.
const base = new URL('.', location.href);

// call runs one operation: params fill the path, query is left out where empty, body is JSON.
export async function call(operationId, params = {}, { query, body, signal } = {}) {
  const [method, template] = operations[operationId];
  const path = template.replace(/\{(\w+)\}/g, (_, name) => encodeURIComponent(params[name] ?? ''));
  const url = new URL('.' + path, base);
  for (const [k, v] of Object.entries(query || {})) {
    if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, String(v));
  }
  const headers = { Accept: 'application/json', Authorization: `Bearer ${session().token}` };
  const init = { method, headers, signal, cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const resp = await fetch(url, init);
  const text = await resp.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!resp.ok) {
    throw new ApiError(resp.status, data && data.code, data && data.message);
  }
  return data;
}

// Each operation as a function, named as openapi.yaml names it.
export const api = {
  listAccounts: (query, signal) => call('adminListAccounts', {}, { query, signal }),
  getAccount: (accountId, signal) => call('adminGetAccount', { accountId }, { signal }),
  listDeliveries: (accountId, query, signal) => call('adminListDeliveries', { accountId }, { query, signal }),
  getDelivery: (accountId, deliveryId, signal) => call('adminGetDelivery', { accountId, deliveryId }, { signal }),
  resendDelivery: (accountId, deliveryId) => call('adminResendDelivery', { accountId, deliveryId }),
  listEvents: (accountId, query, signal) => call('adminListEvents', { accountId }, { query, signal }),
  getEvent: (accountId, eventId, signal) => call('adminGetEvent', { accountId, eventId }, { signal }),
  listSubscriptions: (accountId, signal) => call('adminListSubscriptions', { accountId }, { signal }),
  enableSubscription: (accountId, subscriptionUuid) => call('adminEnableSubscription', { accountId, subscriptionUuid }),
  disableSubscription: (accountId, subscriptionUuid) => call('adminDisableSubscription', { accountId, subscriptionUuid }),
  recoverSubscription: (accountId, subscriptionUuid, body) => call('adminRecoverSubscription', { accountId, subscriptionUuid }, { body }),
  sendTestEvent: (accountId, subscriptionUuid, body) => call('adminSendTestEvent', { accountId, subscriptionUuid }, { body }),
  rotateSecret: (accountId, subscriptionUuid, body) => call('adminRotateSecret', { accountId, subscriptionUuid }, { body }),
  deliveryStats: (accountId, signal) => call('adminDeliveryStats', { accountId }, { signal }),
  createPortalSession: (accountId, body) => call('adminCreatePortalSession', { accountId }, { body }),
  listPortalSessions: (accountId, signal) => call('adminListPortalSessions', { accountId }, { signal }),
  revokePortalSession: (accountId, sessionId) => call('adminRevokePortalSession', { accountId, sessionId }),
};
