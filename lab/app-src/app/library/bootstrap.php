<?php
/**
 * Bootstrap of the lab's example shop application, laid out like a Phalcon
 * application: settings in app/config/config.php (database and beanstalk
 * sections) plus a .env file at the application root that config.php reads.
 * Phalcon is not installed in the lab, so a minimal stand-in for
 * Phalcon\Config\Config is defined when the extension is missing.
 */

declare(strict_types=1);

namespace {
    if (!class_exists('Phalcon\Config\Config')) {
        eval('namespace Phalcon\Config; class Config extends \ArrayObject {
            public function __construct(array $data = []) {
                foreach ($data as $k => $v) { if (is_array($v)) { $data[$k] = new self($v); } }
                parent::__construct($data, \ArrayObject::ARRAY_AS_PROPS);
            }
        }');
    }
    if (!class_exists('Phalcon\Config')) {
        class_alias('Phalcon\Config\Config', 'Phalcon\Config');
    }
}

namespace Shop {
    const APP_ROOT = __DIR__ . '/../..';

    /** Load KEY=VALUE lines of .env into the environment (quotes and `export` allowed). */
    function load_env(string $file): void
    {
        if (!is_readable($file)) {
            return;
        }
        foreach (file($file, FILE_IGNORE_NEW_LINES) as $line) {
            if (!preg_match('/^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/', $line, $m)) {
                continue;
            }
            $value = $m[2];
            if (preg_match('/^"(.*)"$/', $value, $q) || preg_match("/^'(.*)'$/", $value, $q)) {
                $value = $q[1];
            } else {
                $value = preg_replace('/\s+#.*$/', '', $value);
            }
            putenv($m[1] . '=' . $value);
            $_ENV[$m[1]] = $value;
        }
    }

    function config(): \ArrayAccess
    {
        static $config = null;
        if ($config === null) {
            $config = require APP_ROOT . '/app/config/config.php';
            if (is_array($config)) {
                $config = new \Phalcon\Config\Config($config);
            }
        }
        return $config;
    }

    function db(): \PDO
    {
        static $pdo = null;
        if ($pdo === null) {
            $c = config()['database'];
            $dsn = sprintf('mysql:host=%s;port=%d;dbname=%s;charset=%s', $c['host'], (int) ($c['port'] ?? 3306),
                $c['dbname'], $c['charset'] ?? 'utf8mb4');
            $pdo = new \PDO($dsn, $c['username'], $c['password'], [
                \PDO::ATTR_ERRMODE => \PDO::ERRMODE_EXCEPTION,
                \PDO::ATTR_DEFAULT_FETCH_MODE => \PDO::FETCH_ASSOC,
                \PDO::ATTR_TIMEOUT => 5,
            ]);
        }
        return $pdo;
    }

    /** Put a job on beanstalkd (plain protocol, no library). Returns the job id or null. */
    function queue_put(string $body, int $delay = 0): ?int
    {
        $c = config()['beanstalk'];
        $sock = @fsockopen((string) $c['host'], (int) ($c['port'] ?? 11300), $errno, $errstr, 2.0);
        if ($sock === false) {
            return null;
        }
        stream_set_timeout($sock, 2);
        $tube = (string) ($c['tube'] ?? 'notifications');
        fwrite($sock, "use $tube\r\n");
        fgets($sock);
        fwrite($sock, sprintf("put 1024 %d 60 %d\r\n%s\r\n", $delay, strlen($body), $body));
        $reply = (string) fgets($sock);
        fclose($sock);
        return preg_match('/^INSERTED (\d+)/', $reply, $m) ? (int) $m[1] : null;
    }

    load_env(APP_ROOT . '/.env');
}
