<?php

/**
 * The router of `php -S 127.0.0.1:PORT router.php` (serve.sh): every
 * request goes through App::handle, which catches everything.
 */

declare(strict_types=1);

require __DIR__ . '/bootstrap.php';

use MailOAuth\Admin\App;
use MailOAuth\Admin\Config;
use MailOAuth\Admin\Request;
use MailOAuth\Admin\Response;
use MailOAuth\Admin\Store;
use MailOAuth\Admin\View;

try {
    $config = Config::fromEnvironment();
    $response = (new App($config, new Store($config->dataDir, $config->key)))->handle(Request::fromGlobals());
} catch (Throwable $e) {
    // The store could not open (the data directory, the key file): its own
    // messages name paths, never the key; the page says less.
    error_log('mail-oauth admin: ' . $e::class . ' while opening the store: ' . $e->getMessage());
    $response = Response::html(500, View::problem('The app could not open its data directory or key; the server log says why.'));
}
$response->send();
