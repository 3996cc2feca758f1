// The console's buttons that change something: resend, recover, test event, rotate, enable and
// disable. Each calls one operation and shows its answer, or the service's refusal, in place.
import { api, describe } from './api.js';
import { copyButton, fromLocalInput, h, replace, time, toLocalInput } from './dom.js';

// formDialog opens a modal form; submit runs onSubmit, whose node (if any) is shown as the
// result. It closes with its Close button, Escape, or when the view ends.
function formDialog(ctx, { title, testid, intro, fields, submitLabel, onSubmit }) {
  const error = h('div', { role: 'alert' });
  const result = h('div', { testid: 'dialog-result' });
  const submit = h('button', { type: 'submit', testid: 'dialog-submit' }, submitLabel);
  const closeButton = h('button', { type: 'button', class: 'quiet', testid: 'dialog-close' }, 'Close');
  const form = h('form', {}, intro ? h('p', { class: 'muted' }, intro) : null, fields, error, result, h('div', { class: 'row end' }, closeButton, submit));
  const dialog = h('dialog', { class: 'dialog', testid }, h('h2', {}, title), form);
  const close = () => {
    if (dialog.open) dialog.close();
    dialog.remove();
  };
  closeButton.addEventListener('click', close);
  dialog.addEventListener('close', () => dialog.remove());
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    submit.disabled = true;
    error.replaceChildren();
    try {
      const node = await onSubmit({ submit, close });
      if (node) replace(result, node);
    } catch (err) {
      replace(error, h('p', { class: 'error', testid: 'dialog-error' }, describe(err)));
      submit.disabled = false;
    }
  });
  ctx.onLeave(close);
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}

const field = (label, input, hint) => h('label', { class: 'field' }, h('span', {}, label), input, hint ? h('span', { class: 'muted small' }, hint) : null);

export function openRotate(ctx, sub) {
  const secret = h('input', { type: 'text', class: 'mono', testid: 'rotate-secret-input', autocomplete: 'off', placeholder: 'a random one when empty' });
  const overlap = h('select', { testid: 'rotate-overlap' },
    [['0', 'no overlap'], ['3600', '1 hour'], ['86400', '1 day'], ['604800', '7 days']].map(([v, l]) => h('option', { value: v, selected: v === '86400' }, l)));
  const force = h('input', { type: 'checkbox', testid: 'rotate-force' });
  formDialog(ctx, {
    title: `Rotate the secret of ${sub.name || sub.externalId}`,
    testid: 'rotate-dialog',
    intro: 'Deliveries are signed with the new secret at once, and also with the previous one while the overlap lasts, so that receivers can switch without losing any.',
    fields: [
      field('New secret', secret, `in ${sub.dialect}'s own format`),
      field('Previous secret stays valid for', overlap),
      h('label', { class: 'check' }, force, ' End a previous rotation whose overlap is still open'),
    ],
    submitLabel: 'Rotate',
    onSubmit: async () => {
      const body = { overlapSeconds: Number(overlap.value) };
      if (secret.value) body.secret = secret.value;
      if (force.checked) body.force = true;
      const r = await api.rotateSecret(ctx.accountId, sub.id, body);
      return h('div', { class: 'notice' },
        h('p', {}, 'The new secret, shown this once:'),
        h('div', { class: 'row' }, h('code', { class: 'secret', testid: 'rotate-new-secret' }, r.secret), copyButton(r.secret, 'rotate-copy')),
        h('p', { testid: 'rotate-previous-valid-until' }, r.previousValidUntil
          ? ['The previous secret signs deliveries too until ', time(r.previousValidUntil), '.']
          : 'The previous secret no longer signs deliveries.'));
    },
  });
}

export function openRecover(ctx, sub, reload) {
  const since = h('input', { type: 'datetime-local', testid: 'recover-since', required: true, value: toLocalInput(new Date(Date.now() - 3600e3)) });
  const until = h('input', { type: 'datetime-local', testid: 'recover-until' });
  formDialog(ctx, {
    title: `Recover failed deliveries of ${sub.name || sub.externalId}`,
    testid: 'recover-dialog',
    intro: 'Sends again every failed or dropped delivery of this subscription created in the period, once the receiver is back.',
    fields: [field('Since', since), field('Until', until, 'now when empty')],
    submitLabel: 'Recover',
    onSubmit: async ({ submit }) => {
      const body = { since: fromLocalInput(since.value) };
      if (until.value) body.until = fromLocalInput(until.value);
      const r = await api.recoverSubscription(ctx.accountId, sub.id, body);
      // Recovering is idempotent: the button stays, for the rest or for another try.
      submit.disabled = false;
      submit.textContent = r.more ? 'Recover the rest' : 'Recover again';
      if (reload) reload().catch(ctx.report);
      return h('p', { class: 'notice' }, h('span', { testid: 'recover-queued' }, String(r.queued)), ' deliveries queued again.',
        r.more ? h('span', { testid: 'recover-more' }, ' More remain: recover again for the rest.') : null);
    },
  });
}

export function openTestEvent(ctx, sub) {
  const events = sub.events || [];
  const type = events.length
    ? h('select', { testid: 'test-event-type' }, events.map((e) => h('option', { value: e }, e)))
    : h('input', { type: 'text', testid: 'test-event-type', placeholder: 'the dialect’s test event when empty' });
  formDialog(ctx, {
    title: `Send a test event to ${sub.name || sub.externalId}`,
    testid: 'test-dialog',
    intro: 'Queues an example event for this subscription only, delivered and signed like any other.',
    fields: [field('Event type', type)],
    submitLabel: 'Send',
    onSubmit: async ({ submit, close }) => {
      const body = type.value ? { eventType: type.value } : {};
      const r = await api.sendTestEvent(ctx.accountId, sub.id, body);
      submit.disabled = false;
      const href = `#/accounts/${encodeURIComponent(ctx.accountId)}/deliveries/${encodeURIComponent(r.deliveryId)}`;
      return h('p', { class: 'notice' }, 'Queued: ', h('a', { href, testid: 'test-delivery-link', onclick: close }, 'see the delivery'), '.');
    },
  });
}

export async function setEnabled(ctx, sub, enable, reload) {
  try {
    if (enable) await api.enableSubscription(ctx.accountId, sub.id);
    else await api.disableSubscription(ctx.accountId, sub.id);
    await reload();
  } catch (err) {
    ctx.report(err);
  }
}

export async function resend(ctx, delivery, button, result, show) {
  if (!delivery) return;
  button.disabled = true;
  replace(result);
  try {
    show(await api.resendDelivery(ctx.accountId, delivery.id));
    replace(result, 'Queued again.');
  } catch (err) {
    replace(result, h('span', { class: 'error-text', testid: 'delivery-resend-error' }, describe(err)));
  } finally {
    button.disabled = false;
  }
}
