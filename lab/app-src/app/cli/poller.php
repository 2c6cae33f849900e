<?php
/**
 * The legacy notification poller (the 2018 cause of the slowness): run by
 * cron every minute on the application server, it scans the notifications
 * table for pending rows and "sends" them. Each run is recorded in poller_runs.
 */

declare(strict_types=1);

require __DIR__ . '/../library/bootstrap.php';

use function Shop\db;

$pdo = db();
$pdo->beginTransaction();
$ids = $pdo->query("SELECT id FROM notifications WHERE status = 'pending' ORDER BY id LIMIT 1000 FOR UPDATE")
    ->fetchAll(\PDO::FETCH_COLUMN);
if ($ids) {
    $in = implode(',', array_map('intval', $ids));
    $pdo->exec("UPDATE notifications SET status = 'sent', sent_at = NOW(), sent_by = 'poller:" . gethostname() . "' WHERE id IN ($in)");
}
$st = $pdo->prepare('INSERT INTO poller_runs (ran_at, picked) VALUES (NOW(6), ?)');
$st->execute([count($ids)]);
$pdo->commit();
printf("%s poller: %d notification(s) sent\n", date('c'), count($ids));
