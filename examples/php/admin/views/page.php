<?php

declare(strict_types=1);

use MailOAuth\Admin\View;

/**
 * The settings page (tests/browser/CONTRACT.md): GLPI's Configuration →
 * OAuth IMAP and Notifications → Email followups configuration in one
 * form, then the mailboxes.
 *
 * @var string $callbackUrl
 * @var array<string, mixed> $settings
 * @var list<array{address: string, state: string}> $mailboxes
 * @var string $csrf
 * @var ?array{kind: string, text: string, report: list<array{string, string, int, string}>} $flash
 * @var ?string $retryFor
 */
$title = 'OAuth IMAP – mail-oauth admin';
$value = static fn (string $name, string $default = ''): string => View::h((string) ($settings[$name] ?? $default));
$selected = static fn (string $name, string $option, string $default = ''): string
    => (($settings[$name] ?? $default) === $option) ? ' selected' : '';
$csrfField = '<input type="hidden" name="csrf" value="' . View::h($csrf) . '">';
require __DIR__ . '/layout-head.php';
?>
<?php if ($flash !== null): ?>
<div id="message" class="<?= $flash['kind'] === 'ok' ? 'ok' : 'error' ?>"><?= View::h($flash['text']) ?>
<?php if ($retryFor !== null): ?>
<form method="post" action="/front/oauthimap.php"><?= $csrfField ?><button type="submit" name="op" value="retry">Try again</button></form>
<?php endif ?>
</div>
<?php endif ?>
<?php if ($flash !== null && $flash['report'] !== []): ?>
<section>
<h2>Connection report</h2>
<table id="report">
<thead><tr><th>Protocol</th><th>Step</th><th>Time</th><th>Server reply</th></tr></thead>
<tbody>
<?php foreach ($flash['report'] as [$protocol, $step, $millis, $detail]): ?>
<tr><td><?= View::h($protocol) ?></td><td><?= View::h($step) ?></td><td><?= View::h($millis) ?> ms</td><td><?= View::h($detail) ?></td></tr>
<?php endforeach ?>
</tbody>
</table>
</section>
<?php endif ?>

<form id="settings" method="post" action="/front/oauthimap.php">
<?= $csrfField ?>
<fieldset>
<h2>Setup › Configuration › OAuth IMAP</h2>
<div class="row"><label for="provider">Provider</label>
<select id="provider" name="provider">
<option value="google"<?= $selected('provider', 'google') ?>>Google</option>
<option value="microsoft"<?= $selected('provider', 'microsoft') ?>>Microsoft 365</option>
<option value="custom"<?= $selected('provider', 'custom') ?>>Custom OpenID provider</option>
</select></div>
<div class="row"><label for="tenant">Tenant</label>
<span><input type="text" id="tenant" name="tenant" value="<?= $value('tenant', 'common') ?>"> <span class="hint">Microsoft 365 only: common, organizations, a tenant id or domain</span></span></div>
<div class="row"><label for="issuer">Issuer URL</label>
<span><input type="text" id="issuer" name="issuer" value="<?= $value('issuer') ?>" size="40"> <span class="hint">Custom OpenID provider only (its discovery document is read)</span></span></div>
<div class="row"><label for="scopes">Scopes</label>
<span><input type="text" id="scopes" name="scopes" value="<?= $value('scopes') ?>" size="40"> <span class="hint">Custom OpenID provider only, space-separated; empty: its default scopes plus openid email</span></span></div>
<div class="row"><label for="client-id">Client ID</label>
<input type="text" id="client-id" name="client-id" value="<?= $value('client-id') ?>" size="40" autocomplete="off"></div>
<div class="row"><label for="client-secret">Client secret</label>
<span><input type="password" id="client-secret" name="client-secret" value="" autocomplete="new-password">
<?php if (($settings['client-secret'] ?? '') !== ''): ?> <span class="hint">Client secret is set (leave empty to keep it)</span><?php endif ?></span></div>
<div class="row"><span>Callback URL</span>
<span><code id="callback-url"><?= View::h($callbackUrl) ?></code> <span class="hint">— copy it into your provider's console as the authorized redirect URI</span></span></div>
<div class="row"><label for="imap-server">IMAP server</label>
<input type="text" id="imap-server" name="imap-server" value="<?= $value('imap-server') ?>" placeholder="imap.example.com:993"></div>
<div class="row"><label for="imap-security">Security</label>
<select id="imap-security" name="imap-security">
<option value="implicit-tls"<?= $selected('imap-security', 'implicit-tls') ?>>TLS</option>
<option value="starttls"<?= $selected('imap-security', 'starttls') ?>>STARTTLS</option>
</select></div>
</fieldset>
<fieldset>
<h2>Setup › Notifications › Email followups configuration</h2>
<div class="row"><label for="smtp-server">SMTP server</label>
<input type="text" id="smtp-server" name="smtp-server" value="<?= $value('smtp-server') ?>" placeholder="smtp.example.com:465"></div>
<div class="row"><label for="smtp-security">Security</label>
<select id="smtp-security" name="smtp-security">
<option value="implicit-tls"<?= $selected('smtp-security', 'implicit-tls') ?>>TLS</option>
<option value="starttls"<?= $selected('smtp-security', 'starttls') ?>>STARTTLS</option>
</select></div>
<p class="hint">Notifications are sent as the connected mailbox, over SMTP with its OAuth token (XOAUTH2).</p>
</fieldset>
<button type="submit" name="op" value="save">Save</button>
</form>

<section id="mailboxes">
<h2>OAuth IMAP › Authorizations (mailboxes)</h2>
<form method="post" action="/front/oauthimap.php">
<?= $csrfField ?>
<div class="row"><label for="login-hint">E-mail address</label>
<span><input type="email" id="login-hint" name="login-hint" value="" size="32">
<button type="submit" name="op" value="connect">Connect mailbox</button></span></div>
</form>
<ul class="mailboxes">
<?php foreach ($mailboxes as $i => $mailbox): $n = $i + 1; $address = View::h($mailbox['address']); ?>
<li class="mailbox" data-address="<?= $address ?>">
<strong><?= $address ?></strong>
<span class="state <?= $mailbox['state'] === 'connected' ? 'connected' : 'reauthorize' ?>"><?= $mailbox['state'] === 'connected' ? 'Connected' : 'Connect again' ?></span><br>
<form method="post" action="/front/oauthimap.php"><?= $csrfField ?><input type="hidden" name="address" value="<?= $address ?>">
<button type="submit" name="op" value="test">Test connection</button></form>
<form method="post" action="/front/oauthimap.php"><?= $csrfField ?><input type="hidden" name="address" value="<?= $address ?>">
<label for="recipient-<?= $n ?>">Recipient</label> <input type="email" id="recipient-<?= $n ?>" name="recipient" value="">
<label for="sender-<?= $n ?>">Sender</label> <input type="email" id="sender-<?= $n ?>" name="sender" value="<?= $address ?>">
<button type="submit" name="op" value="send">Send test message</button></form>
<form method="post" action="/front/oauthimap.php"><?= $csrfField ?><input type="hidden" name="address" value="<?= $address ?>">
<button type="submit" name="op" value="disconnect" class="secondary">Disconnect</button></form>
</li>
<?php endforeach ?>
</ul>
<?php if ($mailboxes === []): ?><p class="hint">No mailbox is connected yet.</p><?php endif ?>
</section>
</main>
</body>
</html>
