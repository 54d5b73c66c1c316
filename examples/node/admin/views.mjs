// The admin page (NocoBase's Settings → Email, in plain HTML): the settings form, the
// mailboxes, and the last result. Nothing secret is ever rendered: the client secret
// shows as set, tokens and pending authorizations stay in the store.

import { PROVIDERS, SECURITY } from './app.mjs';

export const escape = (text) => String(text ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const STYLE = `body{font-family:system-ui,sans-serif;margin:0;color:#1f1f1f;background:#f5f5f5}
header{background:#001529;color:#fff;padding:.8rem 1.5rem;font-size:1.1rem}
main{max-width:56rem;margin:1.5rem auto;padding:0 1rem}
section{background:#fff;border-radius:8px;padding:1rem 1.5rem;margin-bottom:1.2rem;box-shadow:0 1px 2px #0001}
h2{font-size:1.05rem;margin:.2rem 0 1rem}
.row{display:grid;grid-template-columns:10rem 1fr;gap:.4rem 1rem;align-items:center;margin-bottom:.6rem}
input,select{padding:.35rem .5rem;border:1px solid #d9d9d9;border-radius:6px;font:inherit}
button{padding:.35rem 1rem;border-radius:6px;border:1px solid #1677ff;background:#1677ff;color:#fff;font:inherit;cursor:pointer}
button.plain{background:#fff;color:#1677ff}button.danger{border-color:#ff4d4f;background:#fff;color:#ff4d4f}
#message{padding:.7rem 1rem;border-radius:6px;margin-bottom:1rem}
#message.ok{background:#f6ffed;border:1px solid #b7eb8f}#message.error{background:#fff2f0;border:1px solid #ffccc7}
code{background:#f0f0f0;padding:.1rem .3rem;border-radius:4px}
table{border-collapse:collapse;width:100%;margin-top:.5rem}td,th{border-bottom:1px solid #eee;padding:.25rem .5rem;text-align:left;font-size:.9rem}
ul.mailboxes{list-style:none;padding:0}li.mailbox{border:1px solid #eee;border-radius:6px;padding:.7rem;margin-bottom:.6rem}
.state{margin-left:.6rem;padding:.05rem .5rem;border-radius:10px;background:#e6f4ff;color:#0958d9;font-size:.85rem}
.state.dead{background:#fff7e6;color:#d46b08}.actions{display:flex;flex-wrap:wrap;gap:.5rem;margin-top:.6rem;align-items:center}
.actions form{display:flex;flex-wrap:wrap;gap:.4rem;align-items:center}
.hint{color:#666;font-size:.85rem}`;

const hidden = (csrf) => `<input type="hidden" name="csrf" value="${escape(csrf)}">`;

function server(label, id, value) {
  const text = value ? `${value.host.includes(':') ? `[${value.host}]` : value.host}:${value.port}` : '';
  const options = Object.entries(SECURITY).map(([v, t]) => `<option value="${v}"${value?.security === v ? ' selected' : ''}>${t}</option>`).join('');
  return `<div class="row"><label for="${id}-server">${label}</label><input id="${id}-server" name="${id}-server" value="${escape(text)}" placeholder="host:port"></div>
<div class="row"><label for="${id}-security">Security</label><select id="${id}-security" name="${id}-security">${options}</select></div>`;
}

function flashHtml(flash, csrf, base) {
  if (!flash) return '';
  const retry = flash.retry
    ? `<form method="post" action="${base}/retry" style="margin-top:.6rem">${hidden(csrf)}<button type="submit">Try again</button></form>` : '';
  const report = flash.report?.length
    ? `<table id="report"><thead><tr><th>Protocol</th><th>Step</th><th>Time</th><th>Server said</th></tr></thead><tbody>${flash.report.map((r) => `<tr><td>${escape(r.protocol)}</td><td>${escape(r.name)}</td><td>${escape(r.millis)} ms</td><td>${escape(r.detail)}</td></tr>`).join('')}</tbody></table>` : '';
  return `<div id="message" class="${flash.kind === 'ok' ? 'ok' : 'error'}" role="${flash.kind === 'ok' ? 'status' : 'alert'}">${escape(flash.text)}${retry}${report}</div>`;
}

export function page({ settings, mailboxes, csrf, flash, callbackUrl, base }) {
  const s = settings ?? { provider: 'google', tenant: 'common' };
  const providers = Object.entries(PROVIDERS).map(([v, t]) => `<option value="${v}"${s.provider === v ? ' selected' : ''}>${t}</option>`).join('');
  const list = Object.values(mailboxes);
  const items = list.map((m, i) => {
    const alive = m.state === 'connected';
    return `<li class="mailbox" data-address="${escape(m.address)}"><strong>${escape(m.address)}</strong><span class="state${alive ? '' : ' dead'}">${alive ? 'Connected' : 'Connect again'}</span>
<div class="actions">
<form method="post" action="${base}/test">${hidden(csrf)}<input type="hidden" name="mailbox" value="${escape(m.address)}"><button class="plain" type="submit">Test connection</button></form>
<form method="post" action="${base}/send">${hidden(csrf)}<input type="hidden" name="mailbox" value="${escape(m.address)}">
<label for="recipient-${i}">Recipient</label> <input id="recipient-${i}" name="recipient" type="email" required>
<label for="sender-${i}">Sender</label> <input id="sender-${i}" name="sender" type="email" value="${escape(m.address)}">
<button class="plain" type="submit">Send test message</button></form>
<form method="post" action="${base}/disconnect">${hidden(csrf)}<input type="hidden" name="mailbox" value="${escape(m.address)}"><button class="danger" type="submit">Disconnect</button></form>
</div></li>`;
  }).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>Settings · Email</title><style>${STYLE}</style></head>
<body><header>Settings → Email</header><main>
${flashHtml(flash, csrf, base)}
<section><h2>OAuth2 provider</h2>
<form id="settings" method="post" action="${base}/settings">${hidden(csrf)}
<div class="row"><label for="provider">Provider</label><select id="provider" name="provider">${providers}</select></div>
<div class="row"><label for="tenant">Tenant</label><input id="tenant" name="tenant" value="${escape(s.tenant)}" placeholder="common, organizations, or your tenant id (Microsoft 365)"></div>
<div class="row"><label for="issuer">Issuer URL</label><input id="issuer" name="issuer" value="${escape(s.issuer)}" placeholder="https://… (Custom OpenID provider)"></div>
<div class="row"><label for="scopes">Scopes</label><input id="scopes" name="scopes" value="${escape((s.scopes ?? []).join(' '))}" placeholder="space-separated; empty: the provider's mail scopes (Custom OpenID provider)"></div>
<div class="row"><label for="client-id">Client ID</label><input id="client-id" name="client-id" value="${escape(s.clientId)}" autocomplete="off"></div>
<div class="row"><label for="client-secret">Client secret</label><span><input id="client-secret" name="client-secret" type="password" value="" autocomplete="new-password"${s.clientSecret ? ' placeholder="unchanged"' : ''}>
${s.clientSecret ? ' <span class="hint">Client secret is set (leave empty to keep it)</span>' : ''}</span></div>
${server('IMAP server', 'imap', s.imap)}
${server('SMTP server', 'smtp', s.smtp)}
<button type="submit">Save</button>
</form>
<p class="hint">Callback URL: <code id="callback-url">${escape(callbackUrl)}</code> — copy it into your provider's console as an authorized redirect URI.</p>
</section>
<section id="mailboxes"><h2>Mailboxes</h2>
<form method="post" action="${base}/connect" class="actions">${hidden(csrf)}<label for="login-hint">E-mail address</label> <input id="login-hint" name="login-hint" type="email" required>
<button type="submit">Connect mailbox</button></form>
${list.length ? `<ul class="mailboxes">${items}</ul>` : '<p class="hint">No mailbox is connected yet.</p>'}
</section>
</main></body></html>`;
}

export function errorPage(status, text) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${status}</title><style>${STYLE}</style></head>
<body><header>Settings → Email</header><main><div id="message" class="error" role="alert">${escape(text)}</div></main></body></html>`;
}
