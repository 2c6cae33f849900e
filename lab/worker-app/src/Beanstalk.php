<?php

declare(strict_types=1);

namespace Tiersplit\NotificationWorker;

/**
 * A minimal beanstalkd client over a plain TCP socket (protocol text:
 * https://github.com/beanstalkd/beanstalkd/blob/master/doc/protocol.txt).
 * Only what the worker needs: watch/ignore, reserve-with-timeout, delete,
 * release, bury, put and stats-job.
 */
final class Beanstalk
{
    /** @var resource|null */
    private $socket = null;

    public function __construct(
        private readonly string $host,
        private readonly int $port,
        private readonly float $connectTimeout = 5.0,
    ) {
    }

    public function connect(): void
    {
        $this->close();
        $errno = 0;
        $errstr = '';
        $socket = @stream_socket_client(
            sprintf('tcp://%s:%d', $this->host, $this->port),
            $errno,
            $errstr,
            $this->connectTimeout,
        );
        if ($socket === false) {
            throw new BeanstalkException(sprintf('cannot connect to beanstalkd %s:%d: %s', $this->host, $this->port, $errstr));
        }
        $this->socket = $socket;
    }

    public function close(): void
    {
        if (is_resource($this->socket)) {
            @fwrite($this->socket, "quit\r\n");
            @fclose($this->socket);
        }
        $this->socket = null;
    }

    public function watchOnly(string $tube): void
    {
        $this->expect("watch {$tube}", 'WATCHING');
        if ($tube !== 'default') {
            $this->expect('ignore default', 'WATCHING');
        }
    }

    public function useTube(string $tube): void
    {
        $this->expect("use {$tube}", 'USING');
    }

    /**
     * @return array{id: int, body: string}|null null when the timeout passed without a job
     */
    public function reserve(int $timeout): ?array
    {
        $line = $this->command("reserve-with-timeout {$timeout}");
        if ($line === 'TIMED_OUT' || $line === 'DEADLINE_SOON') {
            return null;
        }
        $parts = explode(' ', $line);
        if ($parts[0] !== 'RESERVED' || count($parts) !== 3) {
            throw new BeanstalkException("unexpected reply to reserve: {$line}");
        }
        $body = $this->readBytes((int) $parts[2]);

        return ['id' => (int) $parts[1], 'body' => $body];
    }

    public function delete(int $id): void
    {
        $this->expect("delete {$id}", 'DELETED');
    }

    public function release(int $id, int $priority, int $delay): void
    {
        $this->expect("release {$id} {$priority} {$delay}", 'RELEASED');
    }

    public function bury(int $id, int $priority): void
    {
        $this->expect("bury {$id} {$priority}", 'BURIED');
    }

    public function put(string $body, int $priority = 1024, int $delay = 0, int $ttr = 60): int
    {
        $line = $this->command(sprintf("put %d %d %d %d\r\n%s", $priority, $delay, $ttr, strlen($body), $body));
        $parts = explode(' ', $line);
        if ($parts[0] !== 'INSERTED') {
            throw new BeanstalkException("unexpected reply to put: {$line}");
        }

        return (int) $parts[1];
    }

    private function expect(string $command, string $reply): string
    {
        $line = $this->command($command);
        if (!str_starts_with($line, $reply)) {
            throw new BeanstalkException("unexpected reply to '{$command}': {$line}");
        }

        return $line;
    }

    private function command(string $command): string
    {
        if (!is_resource($this->socket)) {
            $this->connect();
        }
        $data = $command . "\r\n";
        $written = 0;
        while ($written < strlen($data)) {
            $n = @fwrite($this->socket, substr($data, $written));
            if ($n === false || $n === 0) {
                $this->socket = null;
                throw new BeanstalkException('connection to beanstalkd lost while writing');
            }
            $written += $n;
        }
        $line = @fgets($this->socket);
        if ($line === false) {
            $this->socket = null;
            throw new BeanstalkException('connection to beanstalkd lost while reading');
        }

        return rtrim($line, "\r\n");
    }

    private function readBytes(int $length): string
    {
        $data = '';
        $want = $length + 2; // the body is followed by \r\n
        while (strlen($data) < $want) {
            $chunk = @fread($this->socket, $want - strlen($data));
            if ($chunk === false || ($chunk === '' && feof($this->socket))) {
                $this->socket = null;
                throw new BeanstalkException('connection to beanstalkd lost while reading a job body');
            }
            $data .= $chunk;
        }

        return substr($data, 0, $length);
    }
}
