// The login and consent pages of the interactive clients (tests/browser's journey).
const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const layout = (title, body) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(title)} – peers AS</title>
<style>body{font-family:sans-serif;max-width:28rem;margin:3rem auto;color:#222}
label{display:block;margin:.6rem 0 .2rem}input{width:100%;padding:.4rem;box-sizing:border-box}
button{margin:.8rem .4rem 0 0;padding:.4rem 1rem}.error{color:#b00}</style></head>
<body><h1>${escape(title)}</h1>${body}</body></html>`;

export function renderLogin({ uid, clientName, params, failed }) {
  return layout('Sign in', `
<p>to continue to <strong>${escape(clientName)}</strong></p>
${failed ? '<p class="error" role="alert">Wrong e-mail address or password.</p>' : ''}
<form method="post" action="/interaction/${escape(uid)}/login" autocomplete="off">
<label for="email">Email</label><input id="email" name="email" type="email" value="${escape(params.login_hint || '')}" required>
<label for="password">Password</label><input id="password" name="password" type="password" required>
<button type="submit">Sign in</button>
</form>
<form method="post" action="/interaction/${escape(uid)}/abort"><button type="submit">Cancel</button></form>`);
}

export function renderConsent({ uid, clientName, params }) {
  const scopes = String(params.scope || '').split(' ').filter(Boolean);
  return layout('Allow access?', `
<p><strong>${escape(clientName)}</strong> asks to:</p>
<ul>${scopes.map((s) => `<li>${escape(s)}</li>`).join('')}</ul>
<form method="post" action="/interaction/${escape(uid)}/confirm"><button type="submit">Allow</button></form>
<form method="post" action="/interaction/${escape(uid)}/abort"><button type="submit">Deny</button></form>`);
}

/** The urlencoded body of a form post (at most 16 KiB). */
export async function readForm(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 16384) throw new Error('form too large');
  }
  return new URLSearchParams(body);
}
