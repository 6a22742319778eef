# The blog: sets up its database on first boot (the "migrations"), then
# serves content/www on port 2368 until Ctrl-C (INT) or docker stop (TERM).
log() { echo "[$(date '+%Y-%m-%d %H:%M:%S')] INFO $*"; }

if [ ! -f content/data/blog.db ]; then
    mkdir -p content/data
    for table in posts users settings; do
        log "Creating table: $table"
        echo "$table" >>content/data/blog.db
    done
fi
httpd -f -p 2368 -h content/www &
server=$!
trap 'log "Blog is shutting down"; kill $server; exit 0' INT TERM
until wget -q -O /dev/null http://127.0.0.1:2368/ 2>/dev/null; do sleep 0.1; done
log "Your site is now available on http://localhost:2368/"
log "Ctrl+C to shut down"
wait $server
