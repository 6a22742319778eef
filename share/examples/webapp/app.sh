#!/bin/sh
# Writes the page once (GREETING and the hostname are fixed for the life of
# the container), then serves it with busybox httpd. The shell stays PID 1
# and ends the server on TERM or INT, as a web server does: `docker stop` is
# then quick, and `kill 1` inside the container ends it.
mkdir -p /app/www
echo "$GREETING $(hostname)" >/app/www/index.html
httpd -f -p 80 -h /app/www &
server=$!
trap 'kill $server; exit 0' TERM INT
wait $server
