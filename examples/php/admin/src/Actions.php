<?php

declare(strict_types=1);

namespace MailOAuth\Admin;

use MailOAuth\Denied;
use MailOAuth\MailFailure;
use MailOAuth\OAuthException;
use MailOAuth\Record;

/**
 * What each button does, in kit calls: Save (none; the provider is built
 * or discovered when first needed), Connect mailbox
 * (`oauth.begin-authorization`), the callback and Try again
 * (`oauth.complete-authorization`), Test connection (`mail.verify-imap`,
 * `mail.verify-smtp`), Send test message (`mail.send-test-message`),
 * Disconnect (`oauth.revoke`). Each ends in a 303 to the settings page with
 * one sentence in the session's flash.
 */
final class Actions
{
    private const SECURITIES = ['implicit-tls', 'starttls'];
    private const HOST_PORT = '/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):([1-9]\d{0,4})$/';

    public function __construct(private readonly Config $config, private readonly Store $store, private readonly Kit $kit)
    {
    }

    private static function back(): Response
    {
        return Response::redirect(Config::SETTINGS_PATH);
    }

    // ---------------------------------------------------------------- Save

    public function save(Request $request, Session $session): Response
    {
        $old = $this->store->settings();
        $new = [
            'provider' => $request->field('provider'),
            'tenant' => $request->field('tenant') ?: 'common',
            'issuer' => $request->field('issuer'),
            'scopes' => (string) preg_replace('/\s+/', ' ', $request->field('scopes')),
            'client-id' => $request->field('client-id'),
            'client-secret' => ($request->post['client-secret'] ?? '') !== '' ? (string) $request->post['client-secret'] : ($old['client-secret'] ?? ''),
            'imap-server' => $request->field('imap-server'),
            'imap-security' => $request->field('imap-security'),
            'smtp-server' => $request->field('smtp-server'),
            'smtp-security' => $request->field('smtp-security'),
        ];
        $problems = [];
        if (!in_array($new['provider'], ['google', 'microsoft', 'custom'], true)) {
            $problems[] = 'choose a Provider';
        }
        if ($new['provider'] === 'microsoft' && !preg_match('/^[A-Za-z0-9.-]+$/', $new['tenant'])) {
            $problems[] = 'the Tenant is a tenant id, a verified domain, `common`, `organizations` or `consumers`';
        }
        if ($new['provider'] === 'custom' && !preg_match('#^https?://[^/?\#\s]+(/[^?\#\s]*)?$#', $new['issuer'])) {
            $problems[] = 'the Issuer URL must be an https URL (http only to this machine)';
        }
        if ($new['client-id'] === '') {
            $problems[] = 'the Client ID is needed';
        }
        foreach (['imap' => 'IMAP', 'smtp' => 'SMTP'] as $field => $name) {
            if (!preg_match(self::HOST_PORT, $new["{$field}-server"], $m) || (int) $m[2] > 65535) {
                $problems[] = "the {$name} server is host:port, e.g. " . ($field === 'imap' ? 'imap.example.com:993' : 'smtp.example.com:465');
            }
            if (!in_array($new["{$field}-security"], self::SECURITIES, true)) {
                $problems[] = "choose the {$name} Security";
            }
        }
        if ($problems !== []) {
            $session->flash('error', 'Settings not saved: ' . implode('; ', $problems) . '.');
            return self::back();
        }
        if (isset($old['provider-cache']) && Kit::providerKey($old) === Kit::providerKey($new)) {
            $new['provider-cache'] = $old['provider-cache'];
        }
        $this->store->saveSettings($new);
        $session->flash('ok', 'Settings saved.');
        return self::back();
    }

    // ----------------------------------------------- Connect mailbox, callback

    public function connect(Request $request, Session $session): Response
    {
        $hint = $request->field('login-hint');
        $settings = $this->store->settings();
        if (($settings['client-id'] ?? '') === '') {
            $session->flash('error', 'Save the OAuth settings (Provider, Client ID, servers) before connecting a mailbox.');
            return self::back();
        }
        if (filter_var($hint, FILTER_VALIDATE_EMAIL) === false) {
            $session->flash('error', 'Enter the E-mail address of the mailbox to connect.');
            return self::back();
        }
        try {
            $provider = $this->kit->provider();
            $pending = $this->kit->plugin($provider)->oauth->begin_authorization($provider, $this->kit->client(),
                ['scopes' => Kit::scopes($settings, $provider), 'login-hint' => $hint]);
        } catch (OAuthException $e) {
            $session->flash('error', "{$hint} could not be connected. " . Messages::oauth($e));
            return self::back();
        } catch (Denied | \InvalidArgumentException $e) {
            $session->flash('error', "{$hint} could not be connected: " . Messages::policy($e));
            return self::back();
        }
        $session->data['pending'] = ['authorization' => $pending->toArray(), 'hint' => $hint, 'provider' => Kit::providerKey($settings)];
        unset($session->data['retry']);
        return Response::redirect($pending['url']);
    }

    /** The callback: its query against the session's pending authorization. */
    public function complete(Session $session, string $query): void
    {
        if (!isset($session->data['pending'])) {
            $session->flash('error', 'This answer from the provider does not match any authorization started from this browser.'
                . ' Nothing was changed: enter the E-mail address and Connect mailbox.');
            return;
        }
        $this->exchange($session, $query);
    }

    /** Try again: the kept callback, exchanged again with the kept pending authorization. */
    public function retry(Session $session): Response
    {
        if (!isset($session->data['pending'], $session->data['retry'])) {
            $session->flash('error', 'There is nothing to try again: enter the E-mail address and Connect mailbox.');
            return self::back();
        }
        $this->exchange($session, (string) $session->data['retry']);
        return self::back();
    }

    private function exchange(Session $session, string $query): void
    {
        $pending = $session->data['pending'];
        $hint = (string) $pending['hint'];
        if (Kit::providerKey($this->store->settings()) !== $pending['provider']) {
            unset($session->data['pending'], $session->data['retry']);
            $session->flash('error', "The provider settings changed after Connect mailbox: {$hint} was not connected. Connect mailbox again.");
            return;
        }
        try {
            $provider = $this->kit->provider();
            $tokens = $this->kit->plugin($provider)->oauth->complete_authorization($provider, $this->kit->client(),
                $pending['authorization'], $this->config->callbackUrl() . '?' . $query, time());
        } catch (OAuthException $e) {
            if (in_array($e->tag, ['state-mismatch', 'invalid-input'], true)) {
                $session->flash('error', $e->tag === 'state-mismatch' ? Messages::oauth($e)
                    : 'This request is not an answer from the provider (no code, state or error in it). Nothing was changed: the pending authorization is kept.');
            } elseif (Messages::providerUnreachable($e)) {
                $session->data['retry'] = $query;
                $session->flash('error', "{$hint} is not connected yet. " . Messages::oauth($e)
                    . ' The pending authorization is kept: Try again when the provider is back.');
            } else {
                unset($session->data['pending'], $session->data['retry']);
                $session->flash('error', "{$hint} was not connected. " . Messages::oauth($e));
            }
            return;
        }
        $address = $tokens['account-email'] ?? $hint;
        $this->store->saveTokens($address, $tokens->toArray());
        unset($session->data['pending'], $session->data['retry']);
        $session->flash('ok', "{$address} connected.");
    }

    // ---------------------------------------------------- Test connection

    public function test(Request $request, Session $session): Response
    {
        $address = $request->field('address');
        $settings = $this->store->settings();
        $context = $this->mailbox($address, $session);
        if ($context === null) {
            return self::back();
        }
        [$plugin, $provider, $tokens] = $context;
        $rows = [];
        $lines = [];
        $passed = true;
        foreach (['IMAP' => 'imap', 'SMTP' => 'smtp'] as $protocol => $field) {
            $server = Kit::server($settings["{$field}-server"], $settings["{$field}-security"]);
            try {
                $report = $plugin->mail->{"verify_{$field}"}($server, $this->login($address, $provider, $tokens));
            } catch (MailFailure $e) {
                $tokens = $this->keep($address, $e->refreshed) ?? $tokens;
                if (Messages::grantDead($e)) {
                    $this->dropGrant($address, $session, $rows);
                    return self::back();
                }
                $lines[] = Messages::mail($e, $protocol, $settings["{$field}-server"]);
                $passed = false;
                continue;
            }
            $tokens = $this->keep($address, $report['refreshed']) ?? $tokens;
            array_push($rows, ...self::rows($protocol, $report));
            $lines[] = "{$protocol}: OK (" . ($report['mechanism'] !== null ? strtoupper($report['mechanism']) : 'logged in')
                . ($protocol === 'IMAP' ? ', INBOX examined' : '') . ').';
        }
        $session->flash($passed ? 'ok' : 'error', implode(' ', $lines), $rows);
        return self::back();
    }

    // -------------------------------------------------- Send test message

    public function send(Request $request, Session $session): Response
    {
        $address = $request->field('address');
        $recipient = $request->field('recipient');
        $sender = $request->field('sender') ?: $address;
        if (filter_var($recipient, FILTER_VALIDATE_EMAIL) === false || filter_var($sender, FILTER_VALIDATE_EMAIL) === false) {
            $session->flash('error', 'Enter the Recipient (and the Sender) as e-mail addresses: nothing was sent.');
            return self::back();
        }
        $context = $this->mailbox($address, $session);
        if ($context === null) {
            return self::back();
        }
        [$plugin, $provider, $tokens] = $context;
        $settings = $this->store->settings();
        $message = [
            'sender' => $sender, 'recipients' => [$recipient], 'subject' => 'GLPI test notification',
            'body' => "This is a test notification from the GLPI-style mail-oauth admin\n"
                . "(Notifications > Email followups configuration), sent as {$sender} over OAuth.\n",
            'send-as' => false, 'now' => time(),
        ];
        try {
            $report = $plugin->mail->send_test_message(Kit::server($settings['smtp-server'], $settings['smtp-security']),
                $this->login($address, $provider, $tokens), $message);
        } catch (MailFailure $e) {
            $this->keep($address, $e->refreshed);
            if (Messages::grantDead($e)) {
                $this->dropGrant($address, $session, []);
            } else {
                $session->flash('error', 'Test message not sent: ' . Messages::mail($e, 'SMTP', $settings['smtp-server']));
            }
            return self::back();
        }
        $this->keep($address, $report['refreshed']);
        $session->flash('ok', "Test message from {$sender} delivered to {$recipient} (accepted by the SMTP server).", self::rows('SMTP', $report));
        return self::back();
    }

    // --------------------------------------------------------- Disconnect

    public function disconnect(Request $request, Session $session): Response
    {
        $address = $request->field('address');
        if (!in_array($address, array_column($this->store->mailboxes(), 'address'), true)) {
            $session->flash('error', 'There is no such mailbox: nothing was changed.');
            return self::back();
        }
        $kind = 'ok';
        try {
            $tokens = $this->store->tokens($address);
            if ($tokens === null) {
                $note = 'it had no tokens left to revoke.';
            } else {
                $provider = $this->kit->provider();
                if ($provider['revocation-endpoint'] === null) {
                    $note = "{$provider['display-name']} has no revocation endpoint: remove the app's access on the account's page at the provider.";
                } else {
                    $refresh = $tokens['refresh-token'] ?? null;
                    $this->kit->plugin($provider)->oauth->revoke($provider, $this->kit->client(),
                        $refresh ?? $tokens['access-token'], $refresh !== null ? 'refresh-token' : 'access-token');
                    $note = 'the grant was revoked at the provider.';
                }
            }
        } catch (OAuthException $e) {
            $kind = $e->tag === 'unsupported' ? 'ok' : 'error';
            $note = $e->tag === 'unsupported' ? Messages::oauth($e)
                : 'but the provider could not revoke the grant. ' . Messages::oauth($e) . " Remove the app's access on the account's page at the provider.";
        } catch (Tampered) {
            $kind = 'error';
            $note = "but its stored tokens could not be decrypted, so nothing was revoked: remove the app's access on the account's page at the provider.";
        } catch (\Throwable $e) {
            error_log('mail-oauth admin: revoke: ' . $e::class);
            $kind = 'error';
            $note = "but the revocation could not be attempted: remove the app's access on the account's page at the provider.";
        } finally {
            $this->store->deleteMailbox($address);
        }
        $session->flash($kind, "{$address} disconnected: its tokens were removed, {$note}");
        return self::back();
    }

    // ------------------------------------------------------------ helpers

    /**
     * The kit, the provider and the tokens of a connected mailbox, or null
     * with the reason flashed.
     *
     * @return ?array{\MailOAuth\Plugin, array<string, mixed>, array<string, mixed>}
     */
    private function mailbox(string $address, Session $session): ?array
    {
        try {
            $tokens = $this->store->tokens($address);
            if ($tokens === null) {
                $session->flash('error', "{$address} has no grant: connect the mailbox again (E-mail address, then Connect mailbox).");
                return null;
            }
            $provider = $this->kit->provider();
            return [$this->kit->plugin($provider), $provider, $tokens];
        } catch (Tampered $e) {
            $session->flash('error', $e->getMessage());
        } catch (OAuthException $e) {
            $session->flash('error', Messages::oauth($e));
        } catch (Denied | \InvalidArgumentException $e) {
            $session->flash('error', Messages::policy($e));
        }
        return null;
    }

    /** @param array<string, mixed> $provider @param array<string, mixed> $tokens @return array<string, mixed> */
    private function login(string $address, array $provider, array $tokens): array
    {
        return ['user' => $address, 'mechanism' => null, 'credentials' => ['tag' => 'refreshable', 'val' => [
            'provider' => $provider, 'client' => $this->kit->client(), 'tokens' => $tokens, 'now' => time(),
        ]]];
    }

    /** Stores a refreshed token set (a rotated refresh token replaces the old one). @return ?array<string, mixed> */
    private function keep(string $address, ?Record $refreshed): ?array
    {
        if ($refreshed === null) {
            return null;
        }
        $this->store->saveTokens($address, $refreshed->toArray());
        return $refreshed->toArray();
    }

    /** @param list<array{string, string, int, string}> $rows */
    private function dropGrant(string $address, Session $session, array $rows): void
    {
        $this->store->dropTokens($address);
        $session->flash('error', "The provider no longer accepts the grant of {$address} (revoked or expired):"
            . ' connect the mailbox again (E-mail address, then Connect mailbox).', $rows);
    }

    /** @return list<array{string, string, int, string}> */
    private static function rows(string $protocol, Record $report): array
    {
        return array_map(static fn ($step) => [$protocol, (string) $step['name'], (int) $step['millis'], (string) $step['detail']],
            $report['steps']);
    }
}
