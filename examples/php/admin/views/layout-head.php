<?php

declare(strict_types=1);

/** @var string $title */
?>
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title><?= MailOAuth\Admin\View::h($title) ?></title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #1f2328; }
header { background: #2f3f64; color: #fff; padding: .6rem 1.5rem; font-weight: 600; }
main { max-width: 62rem; margin: 1rem auto; padding: 0 1rem; }
form#settings > fieldset { min-width: 0; }
section, form#settings > fieldset { background: #fff; border: 1px solid #d0d7de; border-radius: 4px; margin: 0 0 1rem; padding: .5rem 1rem 1rem; }
h2 { font-size: 1.05rem; margin: .5rem 0 1rem; color: #2f3f64; }
.row { display: grid; grid-template-columns: 12rem 1fr; gap: .5rem; align-items: center; margin: .35rem 0; }
input[type=text], input[type=password], input[type=email], select { padding: .3rem; border: 1px solid #b6bdc5; border-radius: 3px; max-width: 28rem; }
button { padding: .35rem .9rem; border-radius: 3px; border: 1px solid #2f3f64; background: #2f3f64; color: #fff; cursor: pointer; }
button.secondary { background: #fff; color: #2f3f64; }
#message { padding: .6rem 1rem; border-radius: 4px; margin: 0 0 1rem; }
#message.ok { background: #e6f4ea; border: 1px solid #1a7f37; }
#message.error { background: #fdecea; border: 1px solid #cf222e; }
#message form { display: inline; margin-left: .5rem; }
code { background: #eef1f4; padding: .1rem .3rem; overflow-wrap: anywhere; }
.hint { color: #59636e; font-size: .9em; }
ul.mailboxes { list-style: none; padding: 0; }
li.mailbox { border-top: 1px solid #d0d7de; padding: .6rem 0; }
li.mailbox form { display: inline-block; margin: .3rem .8rem .3rem 0; vertical-align: top; }
.state { font-weight: 600; margin-left: .5rem; }
.state.connected { color: #1a7f37; } .state.reauthorize { color: #cf222e; }
table#report { border-collapse: collapse; background: #fff; width: 100%; }
table#report th, table#report td { border: 1px solid #d0d7de; padding: .25rem .5rem; text-align: left; font-size: .9em; }
table#report td:nth-child(-n+3) { white-space: nowrap; }
</style>
</head>
<body>
<header>GLPI · mail-oauth reference admin</header>
<main>
