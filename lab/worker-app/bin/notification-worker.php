#!/usr/bin/env php
<?php

/*
 * The lab's example notification worker (tiersplit).
 * Usage: notification-worker.php --config=/etc/notification-worker/config.json --instance=1
 */

declare(strict_types=1);

namespace Tiersplit\NotificationWorker;

require __DIR__ . '/../src/BeanstalkException.php';
require __DIR__ . '/../src/Beanstalk.php';
require __DIR__ . '/../src/Worker.php';

$options = getopt('', ['config:', 'instance:']);
$configPath = $options['config'] ?? getenv('NOTIFICATION_WORKER_CONFIG') ?: '/etc/notification-worker/config.json';
$instance = (string) ($options['instance'] ?? '1');

$raw = @file_get_contents($configPath);
if ($raw === false) {
    fwrite(STDERR, "cannot read the configuration {$configPath}\n");
    exit(78); // EX_CONFIG
}
$config = json_decode($raw, true);
if (!is_array($config) || !isset($config['database'], $config['queue'])) {
    fwrite(STDERR, "the configuration {$configPath} is not JSON with 'database' and 'queue'\n");
    exit(78);
}

$name = gethostname() . ':' . $instance;
$queue = new Beanstalk((string) $config['queue']['host'], (int) ($config['queue']['port'] ?? 11300));
$worker = new Worker($config, $name, $queue);

pcntl_async_signals(true);
$graceful = static function () use ($worker): void {
    $worker->stop();
};
pcntl_signal(SIGTERM, $graceful);
pcntl_signal(SIGINT, $graceful);

exit($worker->run());
