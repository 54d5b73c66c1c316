<?php

declare(strict_types=1);

namespace MailOAuth\Admin;

/**
 * The admin's session: a random id in an HttpOnly, SameSite=Lax cookie,
 * everything else server-side in the Store (sealed): the CSRF token, the
 * one-time flash message, the pending authorization and the callback kept
 * for Try again. The cookie carries no secret of the app.
 */
final class Sessions
{
    public const COOKIE = 'oauthimap_session';

    public function __construct(private readonly Store $store, private readonly bool $secure)
    {
    }

    /** The request's session, or a new one (its cookie is set by save()). */
    public function open(Request $request): Session
    {
        return $this->existing($request)
            ?? new Session(rtrim(strtr(base64_encode(random_bytes(32)), '+/', '-_'), '='), ['csrf' => bin2hex(random_bytes(32))], true);
    }

    /** The request's existing session only (a POST never starts one). */
    public function existing(Request $request): ?Session
    {
        $cookie = $request->cookies[self::COOKIE] ?? '';
        if (!preg_match('/^[A-Za-z0-9_-]{43}$/', $cookie)) {
            return null;
        }
        try {
            $data = $this->store->session(self::storageId($cookie));
        } catch (Tampered) {
            // A session that fails its tag is no session: the admin gets a
            // new one (and signs nothing with the old csrf).
            error_log('mail-oauth admin: ' . Tampered::class . ' (session): a new session is started');
            return null;
        }
        return $data === null ? null : new Session($cookie, $data, false);
    }

    public function save(Session $session, Response $response): Response
    {
        $this->store->saveSession(self::storageId($session->id), $session->data);
        if ($session->isNew) {
            $response->headers[] = ['Set-Cookie', self::COOKIE . "={$session->id}; Path=/; HttpOnly; SameSite=Lax"
                . ($this->secure ? '; Secure' : '')];
        }
        return $response;
    }

    private static function storageId(string $cookie): string
    {
        return hash('sha256', $cookie);
    }
}
