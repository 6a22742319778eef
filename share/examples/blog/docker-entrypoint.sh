#!/bin/sh
# As ghost's entrypoint does: when the command is the blog itself, fill an
# empty content volume from content.orig first; then run the command (CMD,
# or whatever `run IMAGE COMMAND` put in its place).
set -e
if [ "$1" = sh ] && [ "$2" = current/index.sh ]; then
    if [ -z "$(ls -A "$BLOG_CONTENT")" ]; then
        cp -r content.orig/. "$BLOG_CONTENT/"
    fi
fi
exec "$@"
