<?php
// Truncated by an editor that crashed mid-save: the array is never closed.
return new \Phalcon\Config(array(
    'database' => array(
        'adapter'  => 'Mysql',
        'host'     => 'localhost',
        'username' => 'shop_dev',
        'dbname'   => 'shop_development',
