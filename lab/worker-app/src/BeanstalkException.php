<?php

declare(strict_types=1);

namespace Tiersplit\NotificationWorker;

final class BeanstalkException extends \RuntimeException
{
}
