// Drives a webhook's whole lifecycle through SuperOffice's own npm client (@superoffice/webapi),
// unchanged and configured only with the base URL and credentials, as a SuperOffice customer
// would. CommonJS: the package's ESM build uses extensionless imports that Node cannot load.
//
// Environment: BASE_URL; SO_USERNAME, SO_PASSWORD, SO_TICKET, SO_BEARER (one installation's
// credentials); TARGET_URL (an https receiver answering 2xx, and 503 under /fail); REST_ID and
// REST_NAME (a webhook created through the REST routes). Prints "ok: {…}" with the ids it left.
"use strict";
const assert = require("node:assert/strict");
const { WebhookAgent, WebhookState } = require("@superoffice/webapi");

const env = process.env;
const basic = new WebhookAgent(env.BASE_URL, { auth: { username: env.SO_USERNAME, password: env.SO_PASSWORD } });
const ticket = new WebhookAgent(env.BASE_URL, { headers: { Authorization: `SOTicket ${env.SO_TICKET}` } });
const bearer = new WebhookAgent(env.BASE_URL, { headers: { Authorization: `Bearer ${env.SO_BEARER}` } });
const intruder = new WebhookAgent(env.BASE_URL, { auth: { username: env.SO_USERNAME, password: "not-the-password" } });

// failure resolves to the status and body of the error a call is rejected with.
async function failure(call) {
  try {
    await call;
  } catch (err) {
    if (!err.response) throw err;
    return { status: err.response.status, body: err.response.data };
  }
  assert.fail("the call succeeded");
}

const ids = (hooks) => hooks.map((h) => h.webhookId).sort((a, b) => a - b);

async function main() {
  // Create default, fill in, save: the flow of the package's README.
  const hook = await basic.createDefaultWebhookAsync();
  assert.equal(hook.webhookId, 0);
  assert.equal(hook.state, WebhookState.Active);
  assert.equal(hook.type, "webhook");
  assert.deepEqual(hook.events, ["contact.created", "contact.deleted"]);
  hook.name = "Orders";
  hook.events = ["sale.changed", "order.shipped"];
  hook.targetUrl = `${env.TARGET_URL}/orders`;
  hook.secret = "s3cret";
  hook.headers = { "X-Tenant": "acme" };
  hook.properties = { source: "crm" };
  const saved = await basic.saveWebhookAsync(hook);
  assert.ok(saved.webhookId > 0);
  assert.equal(saved.name, "Orders");
  assert.equal(saved.state, WebhookState.Active);
  assert.deepEqual(saved.headers, { "X-Tenant": "acme" });
  assert.ok(saved.registered instanceof Date && !isNaN(saved.registered));

  // A typed carrier of its own, through a ticket.
  const invoices = await ticket.saveWebhookAsync({
    name: "Invoices", events: ["invoice.paid"], type: "webhook", targetUrl: `${env.TARGET_URL}/invoices`, state: WebhookState.Stopped,
  });
  assert.ok(invoices.webhookId > saved.webhookId);
  assert.equal(invoices.state, WebhookState.Stopped);

  // Get, with a bearer token; the webhook made through REST is there too.
  const got = await bearer.getWebhookAsync(saved.webhookId);
  assert.equal(got.webhookId, saved.webhookId);
  assert.deepEqual(got.events, saved.events);
  assert.equal(got.registered.getTime(), saved.registered.getTime());
  const rest = await basic.getWebhookAsync(Number(env.REST_ID));
  assert.equal(rest.name, env.REST_NAME);

  // Save what was read, changed: an update of the same webhook.
  got.name = "Orders v2";
  got.properties = { source: "crm", tier: "gold" };
  const updated = await basic.saveWebhookAsync(got);
  assert.equal(updated.webhookId, saved.webhookId);
  assert.equal(updated.name, "Orders v2");
  assert.equal(updated.secret, "s3cret");
  assert.equal(updated.registered.getTime(), saved.registered.getTime());

  // Get all, with each overload and each filter.
  const everyone = [Number(env.REST_ID), saved.webhookId, invoices.webhookId].sort((a, b) => a - b);
  assert.deepEqual(ids(await basic.getAllWebhooksAsync("", "", WebhookState.Unknown)), everyone);
  assert.deepEqual(ids(await basic.getAllWebhooksAsync({ nameFilter: "ORDERS" })), [saved.webhookId]);
  assert.deepEqual(ids(await ticket.getAllWebhooksAsync(undefined, "invoice.paid", undefined)), [invoices.webhookId]);
  assert.deepEqual(ids(await bearer.getAllWebhooksAsync({ statusFilter: WebhookState.Stopped })), [invoices.webhookId]);
  assert.deepEqual(ids(await basic.getAllWebhooksAsync("orders", "invoice.paid", WebhookState.Active)), []);

  // Test: the target is called, nothing is saved.
  const ok = await basic.testWebhookAsync(updated);
  assert.equal(ok.success, true, ok.message);
  const failed = await basic.testWebhookAsync({ webhook: { ...updated, targetUrl: `${env.TARGET_URL}/fail` } });
  assert.equal(failed.success, false);
  assert.match(failed.message, /503/);

  // Last error, with each overload; signal an event the saved webhook listens to.
  assert.equal(await basic.getLastErrorAsync(saved.webhookId), "");
  assert.equal(await bearer.getLastErrorAsync({ webhookId: invoices.webhookId }), "");
  await basic.signalEventAsync("order.shipped", 42, { carrier: "PostNL" });

  // Delete, and what the client sees afterwards.
  await basic.deleteWebhookAsync(invoices.webhookId);
  const gone = await failure(basic.getWebhookAsync(invoices.webhookId));
  assert.deepEqual(gone, { status: 404, body: { Error: `Webhook ${invoices.webhookId} not found`, ErrorType: "NotFound" } });
  assert.equal((await failure(basic.deleteWebhookAsync(invoices.webhookId))).status, 404);
  assert.equal((await failure(basic.getLastErrorAsync(invoices.webhookId))).status, 404);

  // Errors, as documented.
  const insecure = await failure(basic.saveWebhookAsync({ name: "Insecure", events: ["sale.changed"], targetUrl: "http://example.com/hook" }));
  assert.equal(insecure.status, 400);
  assert.equal(insecure.body.ErrorType, "BadRequest");
  assert.match(insecure.body.Error, /https/);
  const denied = await failure(intruder.getAllWebhooksAsync("", "", WebhookState.Unknown));
  assert.equal(denied.status, 401);
  assert.equal(denied.body.ErrorType, "Unauthorized");

  console.log("ok: " + JSON.stringify({ kept: updated.webhookId, deleted: invoices.webhookId }));
}

main().catch((err) => {
  console.error(err && err.response ? `${err.config.method} ${err.config.url}: ${err.response.status} ${JSON.stringify(err.response.data)}` : err);
  process.exit(1);
});
