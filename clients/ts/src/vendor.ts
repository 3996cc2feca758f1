// Clients generated from the vendors' own documents, not from openapi.yaml: Voucherify's full
// webhook lifecycle, and Bird's update (the one operation its published document holds).
// Run: BASE_URL=… ADMIN_TOKEN=… node dist/vendor.js
import createClient from "openapi-fetch";
import type { paths as VoucherifyPaths } from "./generated/voucherify";
import type { paths as BirdPaths } from "./generated/bird";
import type { paths } from "./generated/webhookd";
import { env, expect, expectStatus } from "./check";

async function main(): Promise<void> {
  const ours = createClient<paths>({ baseUrl: env("BASE_URL") });
  const created = await ours.POST("/admin/v1/accounts", { body: { name: "vendor-clients" }, headers: { Authorization: `Bearer ${env("ADMIN_TOKEN")}` } });
  expectStatus("create account", created.response, 201);
  const account = created.data!;

  const voucherify = createClient<VoucherifyPaths>({ baseUrl: env("BASE_URL") });
  const headers = { "X-Management-Id": account.voucherify.managementId, "X-Management-Token": account.voucherify.managementToken };
  const params = { path: { projectId: account.voucherify.projectId } };
  const c = await voucherify.POST("/management/v1/projects/{projectId}/webhooks", {
    params, headers, body: { target_url: "https://example.com/vendor", events: ["redemption.succeeded"], active: true },
  });
  expectStatus("voucherify create", c.response, 200);
  const one = { params: { path: { projectId: account.voucherify.projectId, webhookId: c.data!.id } }, headers };
  const g = await voucherify.GET("/management/v1/projects/{projectId}/webhooks/{webhookId}", one);
  expect("voucherify get", g.data?.id === c.data!.id);
  const u = await voucherify.PUT("/management/v1/projects/{projectId}/webhooks/{webhookId}", {
    ...one, body: { target_url: "https://example.com/vendor2", events: ["redemption.failed"], active: false },
  });
  expect("voucherify update", u.data?.active === false);
  const l = await voucherify.GET("/management/v1/projects/{projectId}/webhooks", { params, headers });
  expect("voucherify list", l.data?.total === 1 && l.data.data[0]?.target_url === "https://example.com/vendor2");
  expectStatus("voucherify delete", (await voucherify.DELETE("/management/v1/projects/{projectId}/webhooks/{webhookId}", one)).response, 204);

  const birdHeaders = { Authorization: `AccessKey ${account.bird.accessKey}` };
  const sub = await ours.POST("/workspaces/{workspaceId}/webhook-subscriptions", {
    params: { path: { workspaceId: account.bird.workspaceId } }, headers: birdHeaders,
    body: { service: "channels", event: "email.interaction", url: "https://example.com/vendor" },
  });
  expectStatus("bird create (our client)", sub.response, 201);
  const bird = createClient<BirdPaths>({ baseUrl: env("BASE_URL") });
  const patched = await bird.PATCH("/workspaces/{workspaceId}/webhook-subscriptions/{webhookSubscriptionId}", {
    // Bird's document templates both ids into the path but declares no path parameters, so its
    // generated types have no place for them; openapi-fetch still fills them in.
    params: { path: { workspaceId: account.bird.workspaceId, webhookSubscriptionId: sub.data!.id } } as never,
    headers: birdHeaders,
    body: { status: "inactive", eventFilters: null },
  });
  expectStatus("bird update (Bird's client)", patched.response, 200);
  expect("bird update (Bird's client)", patched.data?.status === "inactive");
  console.log("ok: vendor clients");
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
