<?php

declare(strict_types=1);

namespace MailOAuth\Admin;

use MailOAuth\MailFailure;
use MailOAuth\OAuthException;

/**
 * The sentences an admin reads: one per failure case, saying what to do
 * next. Built from the error's case and payload, which never carry a
 * secret (wit/plugin.wit); every text is HTML-escaped by the view.
 */
final class Messages
{
    /** A transport-error / http-error variant as a short reason. @param array{tag: string, val?: mixed} $error */
    public static function reason(mixed $error): string
    {
        $tag = (string) $error['tag'];
        $detail = isset($error['val']) && is_string($error['val']) && $error['val'] !== '' ? ": {$error['val']}" : '';
        return str_replace('-', ' ', $tag) . $detail;
    }

    /** @param ?array{code: string, description: ?string} $failure */
    private static function providerFailure(mixed $failure): string
    {
        $description = $failure['description'] ?? null;
        return (string) $failure['code'] . ($description !== null && $description !== '' ? " — {$description}" : '');
    }

    /** Whether the oauth error means the grant is gone. */
    public static function grantDead(\Throwable $e): bool
    {
        return ($e instanceof OAuthException && $e->tag === 'reauthorize-required')
            || ($e instanceof MailFailure && $e->oauthTag() === 'reauthorize-required');
    }

    /** The provider could not be reached (or said "later"): what Try again is for. */
    public static function providerUnreachable(OAuthException $e): bool
    {
        $value = $e->value();
        return in_array($e->tag, ['http', 'temporary-failure'], true)
            || ($e->tag === 'invalid-response' && (int) $value['status'] >= 500);
    }

    /** The egress policy could not be built or refuses a URL (its message names the target or the file, never a secret). */
    public static function policy(\RuntimeException|\InvalidArgumentException $e): string
    {
        return "the egress policy refuses it ({$e->getMessage()}): check the provider URLs, the servers, --allow-loopback and --ca-file.";
    }

    /** An oauth-error from discovery, the code exchange, a refresh or a revocation. */
    public static function oauth(OAuthException $e): string
    {
        $value = $e->value();
        return match ($e->tag) {
            'reauthorize-required' => 'The provider no longer accepts this grant (' . self::providerFailure($value) . '): connect the mailbox again.',
            'access-denied' => 'The provider says consent was denied' . (is_string($value) && $value !== '' ? " ({$value})" : '')
                . '. Nothing was connected: ask the mailbox owner to allow the access, then Connect mailbox again.',
            'state-mismatch' => 'The answer from the provider does not match the authorization started from this browser'
                . ' (a stale tab or a forged link). Nothing was changed: the pending authorization is kept.',
            'issuer-mismatch' => "The answer names the issuer {$value['received']}, not the provider's {$value['expected']}"
                . ' (a mix-up or a wrong Issuer URL). Nothing was connected: check the provider settings.',
            'provider-error' => 'The provider refused the request (' . self::providerFailure($value) . '): check the Client ID,'
                . ' the Client secret and the callback URL registered in its console.',
            'http' => 'The provider could not be reached (' . self::reason($value) . ').'
                . (($value['tag'] ?? '') === 'denied' ? ' The egress policy refuses it: check the provider URLs (and --allow-loopback, --ca-file).' : ''),
            'temporary-failure' => "The provider could not be reached: it asks to try later ({$value}).",
            'invalid-response' => "The provider's answer is not valid OAuth (HTTP {$value['status']}: {$value['detail']})."
                . ((int) $value['status'] >= 500 ? ' It could not be reached properly: try again later.' : ' Check the Issuer URL and the endpoints.'),
            'invalid-input' => "The kit refused the input ({$value}): check the settings.",
            'unsupported' => (string) $value,
            default => "The provider call failed ({$e->tag}).",
        };
    }

    /** A mail-failure of one protocol (`IMAP`, `SMTP`), as a sentence. */
    public static function mail(MailFailure $e, string $protocol, string $hostPort): string
    {
        $value = $e->value();
        return match ($e->tag) {
            'oauth' => "{$protocol}: the access token could not be refreshed. " . self::oauth(new OAuthException($value['tag'], $value['val'] ?? null)),
            'invalid-input' => "{$protocol}: the kit refused the input ({$value}): check the mailbox address and the server settings.",
            'transport' => "{$protocol}: could not talk to {$hostPort} (" . self::reason($value) . '): check the host, the port and the'
                . ' security (TLS or STARTTLS)' . (($value['tag'] ?? '') === 'tls' ? ', and that the server certificate is trusted (--ca-file)' : '') . '.',
            'http' => "{$protocol}: the mail API could not be reached (" . self::reason($value) . ').',
            'sasl-rejected' => "{$protocol}: the mailbox refuses the token ({$value['server-text']}): check that the client is granted the mail scope"
                . ($value['scope'] !== null ? " ({$value['scope']})" : '') . " and that {$protocol} access with OAuth is enabled for the mailbox.",
            'no-mechanism' => "{$protocol}: {$hostPort} offers no OAuth login (XOAUTH2 or OAUTHBEARER), only: "
                . (implode(', ', $value) ?: 'none') . '. Check the server and the port (OAuth or AUTH may be disabled there).',
            'tls-unavailable' => "{$protocol}: {$hostPort} does not offer STARTTLS ({$value}): choose TLS and the implicit-TLS port (993 for IMAP, 465 for SMTP).",
            'command-rejected' => "{$protocol}: the server refused {$value['step']}: {$value['reply']}",
            'protocol-violation' => "{$protocol}: the answer of {$hostPort} breaks the protocol at {$value['step']} ({$value['reply']}):"
                . " check that this host and port speak {$protocol} with this security.",
            'temporary-failure' => "{$protocol}: the server asks to try later ({$value['reply']}); the tokens are fine.",
            'sender-not-authorized' => "{$value['sender']} is not the authorized account ({$value['user']}): the provider lets the"
                . " connected mailbox send only as itself. Use {$value['user']} as the sender.",
            default => "{$protocol}: failed ({$e->tag}).",
        };
    }
}
