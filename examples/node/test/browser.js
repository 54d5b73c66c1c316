// Playing the user's browser against the local AS, for the e2e test and the benchmark.

/** What the user's browser does: follow the AS's redirects (it approves by itself here) up to the redirect URI. */
export async function playBrowser(url, redirectUri) {
  const cookies = new Map();
  for (let i = 0; i < 10; i += 1) {
    const response = await fetch(url, {
      redirect: 'manual',
      headers: cookies.size ? { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') } : {},
    });
    await response.arrayBuffer();
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const at = pair.indexOf('=');
      cookies.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
    }
    const location = response.headers.get('location');
    if (![302, 303].includes(response.status) || !location) throw new Error(`the AS answered ${response.status} without a redirect`);
    url = new URL(location, url).href;
    if (url.startsWith(`${redirectUri}?`)) return url;
  }
  throw new Error('the AS never redirected to the callback');
}

/** The web flow through the kit: begin, the browser, complete. */
export async function tokenSet(kit, provider, client, user, now) {
  const pending = await kit.oauth.beginAuthorization(provider, client, { scopes: ['openid', 'email', 'mail'], loginHint: user });
  const callback = await playBrowser(pending.url, client.redirectUri);
  return { pending, callback, tokens: await kit.oauth.completeAuthorization(provider, client, pending, callback, now) };
}

