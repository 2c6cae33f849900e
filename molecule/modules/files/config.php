<?php
/*
 * Phalcon 3 application configuration (as shipped by the application).
 */
defined('APP_PATH') || define('APP_PATH', realpath('.'));

return new \Phalcon\Config([
    'database' => [
        'adapter'  => 'Mysql',
        'host'     => 'old-db.example.com', // the monolith
        'username' => 'root',
        'password' => 'old-password',
        'dbname'   => 'shop',
        'charset'  => 'utf8',
    ],
    'beanstalk' => [
        'host' => '127.0.0.1',
        'port' => 11300,
    ],
    'mail' => [
        'host' => 'smtp.example.com',
    ],
    'application' => [
        'controllersDir' => APP_PATH . '/app/controllers/',
        'baseUri'        => '/',
    ],
]);
