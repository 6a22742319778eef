#!/bin/sh
# The tutorial's test for "am I in a container?": docker, and ctr, put an
# empty /.dockerenv at the root of every container.
if ! [ -f /.dockerenv ] ; then
  echo "Not running inside docker, exiting to avoid data damage." >&2
  exit 1
fi
echo "Running inside a container: /.dockerenv is here."
