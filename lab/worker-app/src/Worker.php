<?php

declare(strict_types=1);

namespace Tiersplit\NotificationWorker;

/**
 * Reserves jobs {"notification_id": <id>} from one tube, records each delivery
 * in the database (one transaction: notification_deliveries upsert, then the
 * notification marked sent), commits, then deletes the job. A job delivered
 * twice is counted (deliveries + 1), never hidden.
 * SIGTERM/SIGINT: the current job is finished, then the loop ends.
 */
final class Worker
{
    private bool $stopping = false;
    private ?\PDO $db = null;

    /**
     * @param array{database: array<string, mixed>, queue: array<string, mixed>} $config
     */
    public function __construct(
        private readonly array $config,
        private readonly string $name,
        private readonly Beanstalk $queue,
    ) {
    }

    public function stop(): void
    {
        $this->stopping = true;
    }

    public function run(): int
    {
        $tube = (string) ($this->config['queue']['tube'] ?? 'notifications');
        $timeout = (int) ($this->config['queue']['reserve_timeout'] ?? 2);
        $retryDelay = (int) ($this->config['queue']['retry_delay'] ?? 5);
        $backoff = 1;
        $this->log("starting; tube {$tube}");

        while (!$this->stopping) {
            try {
                $this->queue->connect();
                $this->queue->watchOnly($tube);
                $backoff = 1;
                while (!$this->stopping) {
                    $job = $this->queue->reserve($timeout);
                    if ($job === null) {
                        continue;
                    }
                    $this->handle($job, $retryDelay);
                }
            } catch (BeanstalkException $e) {
                if ($this->stopping) {
                    break;
                }
                $this->log('queue: ' . $e->getMessage() . "; retrying in {$backoff} s");
                $this->sleep($backoff);
                $backoff = min($backoff * 2, 10);
            }
        }
        $this->queue->close();
        $this->log('stopped');

        return 0;
    }

    /**
     * @param array{id: int, body: string} $job
     */
    private function handle(array $job, int $retryDelay): void
    {
        $payload = json_decode($job['body'], true);
        $id = is_array($payload) ? ($payload['notification_id'] ?? null) : null;
        if (!is_int($id) && !(is_string($id) && ctype_digit($id))) {
            $this->log("job {$job['id']}: no notification_id in body; burying it");
            $this->queue->bury($job['id'], 1024);

            return;
        }
        $id = (int) $id;

        try {
            $db = $this->db();
            $db->beginTransaction();
            $db->prepare(
                'INSERT INTO notification_deliveries (notification_id, job_id, worker, delivered_at) '
                . 'VALUES (?, ?, ?, NOW(6)) ON DUPLICATE KEY UPDATE deliveries = deliveries + 1'
            )->execute([$id, $job['id'], $this->name]);
            $db->prepare("UPDATE notifications SET status='sent', sent_at=NOW(), sent_by=? WHERE id=?")
                ->execute([$this->name, $id]);
            $db->commit();
        } catch (\PDOException $e) {
            $this->db = null;
            $this->log("job {$job['id']}: database: " . $e->getMessage() . "; released with a {$retryDelay} s delay");
            $this->queue->release($job['id'], 1024, $retryDelay);

            return;
        }
        $this->queue->delete($job['id']);
        $this->log("job {$job['id']}: notification {$id} delivered");
    }

    private function db(): \PDO
    {
        if ($this->db === null) {
            $c = $this->config['database'];
            $dsn = sprintf(
                'mysql:host=%s;port=%d;dbname=%s;charset=utf8mb4',
                $c['host'],
                (int) ($c['port'] ?? 3306),
                $c['name'],
            );
            $this->db = new \PDO($dsn, (string) $c['user'], (string) $c['password'], [
                \PDO::ATTR_ERRMODE => \PDO::ERRMODE_EXCEPTION,
                \PDO::ATTR_TIMEOUT => 5,
            ]);
        }

        return $this->db;
    }

    private function sleep(int $seconds): void
    {
        $until = microtime(true) + $seconds;
        while (!$this->stopping && microtime(true) < $until) {
            usleep(100000);
        }
    }

    private function log(string $message): void
    {
        fwrite(STDERR, "[{$this->name}] {$message}\n");
    }
}
