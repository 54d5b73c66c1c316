<?php

declare(strict_types=1);

namespace MailOAuth\Admin;

use MailOAuth\MailFailure;
use MailOAuth\OAuthException;

/**
 * The routes of the admin page (tests/browser/CONTRACT.md): `/` redirects to
 * the settings page, which GETs the page and POSTs its forms (each with the
 * session's `csrf`); the provider sends the browser back to the callback.
 * Every POST and the callback answer with a 303 to the settings page, the
 * result in the session's flash (never in the URL). Anything unexpected is
 * caught here: a generic page, and only the exception's class (and case) in
 * the log.
 */
final class App
{
    private readonly Sessions $sessions;
    private readonly Kit $kit;
    private readonly Actions $actions;

    public function __construct(private readonly Config $config, private readonly Store $store, ?Kit $kit = null)
    {
        $this->sessions = new Sessions($store, $config->secureCookies());
        $this->kit = $kit ?? new Kit($config, $store);
        $this->actions = new Actions($config, $store, $this->kit);
    }

    public function handle(Request $request): Response
    {
        try {
            return $this->route($request);
        } catch (Tampered $e) {
            error_log('mail-oauth admin: ' . $e::class . " ({$e->what})");
            return Response::html(500, View::problem($e->getMessage()));
        } catch (\Throwable $e) {
            error_log('mail-oauth admin: ' . $e::class . (property_exists($e, 'tag') ? " ({$e->tag})" : '')
                . ' at ' . basename($e->getFile()) . ':' . $e->getLine());
            return Response::html(500, View::problem('Something went wrong on the server; nothing was shown of it here.'
                . ' The server log names the error.'));
        }
    }

    private function route(Request $request): Response
    {
        return match ([$request->method, $request->path]) {
            ['GET', '/'], ['HEAD', '/'] => Response::redirect(Config::SETTINGS_PATH),
            ['GET', Config::SETTINGS_PATH], ['HEAD', Config::SETTINGS_PATH] => $this->page($request),
            ['POST', Config::SETTINGS_PATH] => $this->post($request),
            ['GET', Config::CALLBACK_PATH] => $this->callback($request),
            default => Response::html(404, View::problem('There is no such page here.')),
        };
    }

    private function page(Request $request): Response
    {
        $session = $this->sessions->open($request);
        $flash = $session->takeFlash();
        // Try again stays offered (not only in the message after the failure) while the exchange is kept.
        $retryFor = isset($session->data['pending'], $session->data['retry']) ? (string) $session->data['pending']['hint'] : null;
        $body = View::page($this->config, $this->store->settings(), $this->store->mailboxes(), $session->csrf(), $flash, $retryFor);
        return $this->sessions->save($session, Response::html(200, $body));
    }

    /**
     * Every form of the page: refused with a 403, changing nothing, without
     * the session's csrf. The button's field is `op`, not `action`: a control
     * named `action` would shadow its form's `action` property in the DOM.
     */
    private function post(Request $request): Response
    {
        $session = $this->sessions->existing($request);
        if ($session === null || !$session->csrfMatches($request->post['csrf'] ?? '')) {
            return Response::html(403, View::problem('This form did not come from the page of this session (the CSRF check failed).'
                . ' Nothing was changed: reload the page and try again.'));
        }
        $response = match ($request->post['op'] ?? '') {
            'save' => $this->actions->save($request, $session),
            'connect' => $this->actions->connect($request, $session),
            'retry' => $this->actions->retry($session),
            'test' => $this->actions->test($request, $session),
            'send' => $this->actions->send($request, $session),
            'disconnect' => $this->actions->disconnect($request, $session),
            default => null,
        };
        if ($response === null) {
            $session->flash('error', 'Unknown action: nothing was changed.');
            $response = Response::redirect(Config::SETTINGS_PATH);
        }
        return $this->sessions->save($session, $response);
    }

    /** The provider's redirect: the exchange runs, then a 303 drops the code from the address bar. */
    private function callback(Request $request): Response
    {
        $session = $this->sessions->open($request);
        $this->actions->complete($session, $request->query);
        return $this->sessions->save($session, Response::redirect(Config::SETTINGS_PATH));
    }
}
