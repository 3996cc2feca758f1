// One lifecycle per dialect through a client generated from openapi.yaml by openapi-typescript,
// called with openapi-fetch. Run: BASE_URL=… ADMIN_TOKEN=… node dist/lifecycle.js
import createClient from "openapi-fetch";
import type { paths } from "./generated/webhookd";
import { env, expect, expectStatus } from "./check";

const client = createClient<paths>({ baseUrl: env("BASE_URL") });

async function main(): Promise<void> {
  const created = await client.POST("/admin/v1/accounts", {
    body: { name: "typescript" },
    headers: { Authorization: `Bearer ${env("ADMIN_TOKEN")}` },
  });
  expectStatus("create account", created.response, 201);
  const account = created.data!;

  // Voucherify
  {
    const headers = { "X-Management-Id": account.voucherify.managementId, "X-Management-Token": account.voucherify.managementToken };
    const params = { path: { projectId: account.voucherify.projectId } };
    const c = await client.POST("/management/v1/projects/{projectId}/webhooks", {
      params, headers, body: { target_url: "https://example.com/ts", events: ["voucher.created"] },
    });
    expectStatus("voucherify create", c.response, 200);
    const id = c.data!.id;
    const one = { params: { path: { projectId: account.voucherify.projectId, webhookId: id } }, headers };
    expectStatus("voucherify get", (await client.GET("/management/v1/projects/{projectId}/webhooks/{webhookId}", one)).response, 200);
    const u = await client.PUT("/management/v1/projects/{projectId}/webhooks/{webhookId}", {
      ...one, body: { target_url: "https://example.com/ts2", events: ["voucher.deleted"] },
    });
    expectStatus("voucherify update", u.response, 200);
    expect("voucherify update", u.data!.target_url === "https://example.com/ts2");
    const l = await client.GET("/management/v1/projects/{projectId}/webhooks", { params, headers });
    expect("voucherify list", l.data!.total === 1);
    expectStatus("voucherify delete", (await client.DELETE("/management/v1/projects/{projectId}/webhooks/{webhookId}", one)).response, 204);
  }

  // Bird
  {
    const headers = { Authorization: `AccessKey ${account.bird.accessKey}` };
    const params = { path: { workspaceId: account.bird.workspaceId } };
    const c = await client.POST("/workspaces/{workspaceId}/webhook-subscriptions", {
      params, headers, body: { service: "channels", event: "sms.outbound", url: "https://example.com/ts" },
    });
    expectStatus("bird create", c.response, 201);
    const one = { params: { path: { workspaceId: account.bird.workspaceId, webhookSubscriptionId: c.data!.id } }, headers };
    expectStatus("bird get", (await client.GET("/workspaces/{workspaceId}/webhook-subscriptions/{webhookSubscriptionId}", one)).response, 200);
    const u = await client.PATCH("/workspaces/{workspaceId}/webhook-subscriptions/{webhookSubscriptionId}", { ...one, body: { status: "inactive" } });
    expect("bird update", u.data?.status === "inactive");
    const l = await client.GET("/workspaces/{workspaceId}/webhook-subscriptions", { params: { ...params, query: { limit: 5 } }, headers });
    expect("bird list", l.data!.results.length === 1);
    expectStatus("bird delete", (await client.DELETE("/workspaces/{workspaceId}/webhook-subscriptions/{webhookSubscriptionId}", one)).response, 204);
  }

  // SuperOffice
  {
    const headers = { Authorization: `SOTicket ${account.superoffice.ticket}` };
    const c = await client.POST("/api/v1/Webhook", {
      headers, body: { Name: "ts", Events: ["sale.changed"], TargetUrl: "https://example.com/ts" },
    });
    expectStatus("superoffice create", c.response, 200);
    const id = c.data!.WebhookId!;
    const one = { params: { path: { id } }, headers };
    expectStatus("superoffice get", (await client.GET("/api/v1/Webhook/{id}", one)).response, 200);
    const p = await client.PATCH("/api/v1/Webhook/{id}", { ...one, body: [{ op: "replace", path: "/Name", value: "ts2" }] });
    expect("superoffice patch", p.data?.Name === "ts2");
    const l = await client.GET("/api/v1/Webhook", { headers });
    expect("superoffice list", l.data!.length === 1);
    expectStatus("superoffice delete", (await client.DELETE("/api/v1/Webhook/{id}", one)).response, 204);
  }

  // Shipping
  {
    const headers = { Authorization: `Bearer ${account.shipping.apiKey}` };
    const c = await client.POST("/v1/webhook-subscriptions", {
      headers, body: { name: "ts", url: "https://example.com/ts", events: ["shipment.created"] },
    });
    expectStatus("shipping create", c.response, 201);
    const one = { params: { path: { id: c.data!.data.id } }, headers };
    expectStatus("shipping get", (await client.GET("/v1/webhook-subscriptions/{id}", one)).response, 200);
    const u = await client.PUT("/v1/webhook-subscriptions/{id}", { ...one, body: { name: "ts2" } });
    expect("shipping update", u.data?.data.name === "ts2");
    const l = await client.GET("/v1/webhook-subscriptions", { headers });
    expect("shipping list", l.data!.meta.total === 1);
    expectStatus("shipping delete", (await client.DELETE("/v1/webhook-subscriptions/{id}", one)).response, 204);
  }

  // Arkyn
  {
    const login = await client.POST("/user/auth", { body: { email: account.arkyn.email, password: account.arkyn.password } });
    expectStatus("arkyn login", login.response, 200);
    const headers = { Authorization: `Bearer ${login.data!.token}` };
    const c = await client.POST("/traffic-source", { headers, body: { name: "ts", trafficDomain: "ts.example.com" } });
    expectStatus("arkyn create traffic source", c.response, 201);
    const one = { params: { path: { trafficSourceId: c.data!.id } }, headers };
    expectStatus("arkyn get webhook", (await client.GET("/webhooks/{trafficSourceId}", one)).response, 200);
    const u = await client.PUT("/webhooks/{trafficSourceId}", { ...one, body: { discordChannelId: "987654321098765432" } });
    expect("arkyn update webhook", u.data?.discordChannelId === "987654321098765432");
    const l = await client.GET("/traffic-source", { headers });
    expect("arkyn list", l.data!.meta.total === 2);
  }
  console.log("ok: five dialects");
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
