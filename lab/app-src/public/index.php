<?php
/**
 * Front controller of the lab's example shop application.
 *   /              summary page read from the database
 *   /health        "ok" plus the database server that answered
 *   /customer?id=N one customer (utf8mb4 text, emoji)
 *   /notify?customer=N  writes a notification; queues it on beanstalkd when
 *                  the queue answers, else leaves it to the legacy poller
 */

declare(strict_types=1);

require __DIR__ . '/../app/library/bootstrap.php';

use function Shop\config;
use function Shop\db;
use function Shop\queue_put;

$path = parse_url($_SERVER['REQUEST_URI'] ?? '/', PHP_URL_PATH);
$env = getenv('APP_ENV') ?: 'unknown';

function json_out(array $data, int $status = 200): void
{
    http_response_code($status);
    header('Content-Type: application/json; charset=utf-8');
    echo json_encode($data, JSON_UNESCAPED_UNICODE), "\n";
}

try {
    switch ($path) {
        case '/health':
            $row = db()->query('SELECT @@hostname AS host, DATABASE() AS db, COUNT(*) AS customers FROM customers')->fetch();
            json_out(['status' => 'ok', 'app' => $env, 'db_host' => $row['host'], 'db' => $row['db'],
                'customers' => (int) $row['customers']]);
            break;
        case '/customer':
            $st = db()->prepare('SELECT id, name, email, country, order_count, customer_total(id) AS total FROM customers WHERE id = ?');
            $st->execute([(int) ($_GET['id'] ?? 1)]);
            $row = $st->fetch();
            $row ? json_out($row) : json_out(['error' => 'no such customer'], 404);
            break;
        case '/notify':
            $customer = (int) ($_GET['customer'] ?? 1);
            $payload = json_encode(['template' => 'order-shipped', 'customer' => $customer, 'note' => '📦'],
                JSON_UNESCAPED_UNICODE);
            $st = db()->prepare('INSERT INTO notifications (customer_id, channel, payload) VALUES (?, ?, ?)');
            $st->execute([$customer, 'email', $payload]);
            $id = (int) db()->lastInsertId();
            $job = queue_put(json_encode(['notification_id' => $id]));
            json_out(['notification_id' => $id, 'queued' => $job !== null, 'job_id' => $job]);
            break;
        case '/':
            $s = db()->query("SELECT (SELECT COUNT(*) FROM customers) AS customers, (SELECT COUNT(*) FROM orders) AS orders,
                (SELECT COUNT(*) FROM notifications WHERE status = 'pending') AS pending,
                (SELECT COUNT(*) FROM notifications WHERE status = 'sent') AS sent, @@hostname AS host")->fetch();
            header('Content-Type: text/html; charset=utf-8');
            printf("<!doctype html><title>Shop (%s)</title><h1>Shop (%s)</h1>\n", htmlspecialchars($env), htmlspecialchars($env));
            printf("<p>database server: %s</p><p>customers: %d, orders: %d</p><p>notifications pending: %d, sent: %d</p>\n",
                htmlspecialchars($s['host']), $s['customers'], $s['orders'], $s['pending'], $s['sent']);
            foreach (db()->query('SELECT id, name FROM customers ORDER BY id LIMIT 5') as $c) {
                printf("<li>%d %s</li>\n", $c['id'], htmlspecialchars($c['name']));
            }
            break;
        default:
            json_out(['error' => 'not found'], 404);
    }
} catch (\Throwable $e) {
    error_log('shop: ' . $e->getMessage());
    json_out(['status' => 'error', 'app' => $env, 'error' => get_class($e)], 503);
}
