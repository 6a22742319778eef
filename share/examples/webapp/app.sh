#!/bin/sh
# Writes the page once (GREETING and the hostname are fixed for the life of
# the container), then serves it with busybox httpd in the foreground.
mkdir -p /app/www
echo "$GREETING $(hostname)" >/app/www/index.html
exec httpd -f -p 80 -h /app/www
