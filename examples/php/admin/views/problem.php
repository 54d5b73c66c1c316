<?php

declare(strict_types=1);

/** @var string $text */
$title = 'mail-oauth admin';
require __DIR__ . '/layout-head.php';
?>
<div id="message" class="error"><?= MailOAuth\Admin\View::h($text) ?></div>
<p><a href="/front/oauthimap.php">Back to the settings</a></p>
</main>
</body>
</html>
