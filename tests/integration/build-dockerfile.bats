#!/usr/bin/env bats
# ctr-build: the seeds' Dockerfiles (on busybox) and every instruction and form.

load helpers
load build-helpers

setup_file() { build_base_store; }
setup() {
    ctr_setup
    use_base_store
    CTX=$TEST_DIR/ctx
    mkdir -p "$CTX"
}
teardown() { ctr_teardown; }

@test "seed 000: FROM/RUN/COPY/CMD, docker's classic output, the cache, intermediate images" {
    printf '#!/bin/sh\nfor i in 1 2 3; do echo "alive..."; done\n' >"$CTX/script.sh"
    cat >"$CTX/Dockerfile" <<'EOF'
FROM busybox:test
RUN mkdir "scripts"
COPY script.sh scripts
CMD ["ash", "scripts/script.sh"]
EOF
    run ctr_build -t demo:4 "$CTX"
    [ "$status" -eq 0 ]
    [[ "${lines[0]}" == "Step 1/4 : FROM busybox:test" ]]
    [[ "$output" == *"Step 2/4 : RUN mkdir \"scripts\""* ]]
    [[ "$output" == *" ---> Running in "* ]]
    [[ "$output" == *"Step 3/4 : COPY script.sh scripts"* ]]
    [[ "$output" == *"Step 4/4 : CMD [\"ash\", \"scripts/script.sh\"]"* ]]
    [[ "$output" == *"Successfully tagged demo:4"* ]]
    id=$(sed -n 's/^Successfully built \(.*\)$/\1/p' <<<"$output")
    [ ${#id} -eq 12 ]

    run ctr_build -t demo:4 "$CTX"
    [ "$status" -eq 0 ]
    cached=$output
    [ "$(grep -c -- ' ---> Using cache' <<<"$output")" -eq 3 ]
    [[ "$output" == *"Successfully built $id"* ]]
    [[ "$output" != *"Running in"* ]]

    run run_image demo:4
    [ "$status" -eq 0 ]
    [ "$(grep -c 'alive...' <<<"$output")" -eq 3 ]

    # Each step is an intermediate image of the store, untagged.
    n=$(python3 -c 'import json,sys; print(sum(1 for m in json.load(open(sys.argv[1]))["manifests"] if m.get("annotations",{}).get("dev.ctr.image.intermediate")=="true"))' "$CTR_ROOT/oci/index.json")
    [ "$n" -ge 2 ]
    # An intermediate step runs too: after RUN mkdir, /scripts exists but is empty.
    step2=$(sed -n '/Step 2\/4/,/Step 3\/4/s/^ ---> \([0-9a-f]\{12\}\)$/\1/p' <<<"$cached" | tail -1)
    [ -n "$step2" ]
    # ctr-images -a lists the steps' images; plain ctr-images does not.
    run ctr-images -a
    [[ "$output" == *"$step2"* ]]
    run ctr-images
    [[ "$output" != *"$step2"* ]]
    [[ "$output" == *"demo "*"4 "*"$id"* ]]
    # ... and the store has it: an index.json entry whose config digest starts with that id.
    python3 - "$CTR_ROOT/oci" "$step2" <<'PY'
import json, sys
oci, short = sys.argv[1], sys.argv[2]
for m in json.load(open(oci + "/index.json"))["manifests"]:
    man = json.load(open(oci + "/blobs/sha256/" + m["digest"][7:]))
    if man["config"]["digest"][7:].startswith(short):
        assert m["annotations"].get("dev.ctr.image.intermediate") == "true"
        sys.exit(0)
sys.exit(1)
PY
}

@test "seed 001: WORKDIR from ENV, VOLUME, COPY to a directory, ENTRYPOINT, EXPOSE, CMD" {
    printf '#!/bin/sh\necho "entrypoint got: $*"\necho "in $(pwd)"\n' >"$CTX/docker-entrypoint.sh"
    chmod 755 "$CTX/docker-entrypoint.sh"
    cat >"$CTX/Dockerfile" <<'EOF'
FROM busybox:test
ENV GHOST_INSTALL=/var/lib/ghost GHOST_CONTENT=/var/lib/ghost/content
WORKDIR $GHOST_INSTALL
VOLUME $GHOST_CONTENT

COPY docker-entrypoint.sh /usr/local/bin/
ENTRYPOINT ["docker-entrypoint.sh"]

EXPOSE 2368
CMD ["node", "current/index.js"]
EOF
    run ctr_build -t ghost "$CTX"
    [ "$status" -eq 0 ]
    cfg=$(image_config ghost:latest)
    [ "$(jq -r .config.WorkingDir <<<"$cfg")" = /var/lib/ghost ]
    [ "$(jq -c .config.Volumes <<<"$cfg")" = '{"/var/lib/ghost/content":{}}' ]
    [ "$(jq -c .config.ExposedPorts <<<"$cfg")" = '{"2368/tcp":{}}' ]
    [ "$(jq -c .config.Entrypoint <<<"$cfg")" = '["docker-entrypoint.sh"]' ]
    [ "$(jq -c .config.Cmd <<<"$cfg")" = '["node","current/index.js"]' ]
    [ "$(jq -r '.history[-1].empty_layer' <<<"$cfg")" = true ]
    # WORKDIR made the directory (a layer of its own); ENV added no layer.
    [ "$(jq -r '[.history[] | select(.created_by | test("WORKDIR"))][0].empty_layer' <<<"$cfg")" = null ]
    [ "$(jq -r '[.history[] | select(.created_by | test("ENV"))][0].empty_layer' <<<"$cfg")" = true ]
    digest=$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == "ghost:latest") | .digest' "$CTR_ROOT/oci/index.json")
    layer=$(jq -r '.layers[1].digest' "$CTR_ROOT/oci/blobs/sha256/${digest#sha256:}")
    [[ "$(tar -tzf "$CTR_ROOT/oci/blobs/sha256/${layer#sha256:}")" == *"var/lib/ghost/"* ]]
    run run_image ghost:latest /usr/local/bin/docker-entrypoint.sh node current/index.js
    [ "$status" -eq 0 ]
    [[ "$output" == *"entrypoint got: node current/index.js"* ]]
}

@test "seed 002 and 003: COPY a file, RUN with redirections, ENV, WORKDIR, a web page" {
    echo "requests==2.31" >"$CTX/requirements.txt"
    echo '<?php echo getenv("GREETING"), " ", gethostname(); ?>' >"$CTX/index.php"
    cat >"$CTX/Dockerfile" <<'EOF'
FROM busybox:test
COPY requirements.txt /tmp/
RUN echo 'export PS1="[\u@\h \W]\$ "' >> /root/.profile \
    && mkdir -p /mycode \
    && cat /tmp/requirements.txt > /mycode/installed.txt
ENV GREETING="Hello from"
COPY index.php /var/www/html/
WORKDIR /mycode
CMD ["/bin/sh"]
EOF
    run ctr_build -t qsnyder/dnebase3.7:0.1 "$CTX"
    [ "$status" -eq 0 ]
    [[ "$output" == *"Successfully tagged qsnyder/dnebase3.7:0.1"* ]]
    run run_image qsnyder/dnebase3.7:0.1 sh -c 'pwd; cat installed.txt; cat /root/.profile; echo "$GREETING"; ls /var/www/html'
    [ "$status" -eq 0 ]
    [[ "$output" == *"/mycode"* ]]
    [[ "$output" == *"requests==2.31"* ]]
    [[ "$output" == *'export PS1="[\u@\h \W]\$ "'* ]]
    [[ "$output" == *"Hello from"* ]]
    [[ "$output" == *"index.php"* ]]
}

@test "ARG before FROM, ARG and ENV scoping, build args in RUN, LABEL, USER, STOPSIGNAL, SHELL, HEALTHCHECK" {
    cat >"$CTX/Dockerfile" <<'EOF'
ARG BASE=busybox:test
FROM ${BASE}
ARG WHO=world
ARG BASE
ENV GREETING=hello
RUN echo "$GREETING $WHO from $BASE" > /greeting
ENV WHO=env-wins
RUN echo "$WHO" > /who
LABEL org.example.who=$WHO "multi word"="a b"
SHELL ["/bin/sh", "-e", "-c"]
RUN echo shell-form-ran > /shell
HEALTHCHECK --interval=30s --retries=3 CMD wget -q localhost || exit 1
STOPSIGNAL SIGQUIT
USER nobody
CMD echo done
EOF
    run ctr_build --build-arg WHO=builder,b -t args "$CTX"
    [ "$status" -eq 0 ]
    run run_image args:latest cat /greeting /who /shell
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "hello builder,b from busybox:test" ]
    [ "${lines[1]}" = "env-wins" ]
    [ "${lines[2]}" = "shell-form-ran" ]
    cfg=$(image_config args:latest)
    [ "$(jq -r '.config.Labels["org.example.who"]' <<<"$cfg")" = env-wins ]
    [ "$(jq -r '.config.Labels["multi word"]' <<<"$cfg")" = "a b" ]
    [ "$(jq -r .config.User <<<"$cfg")" = nobody ]
    [ "$(jq -r .config.StopSignal <<<"$cfg")" = SIGQUIT ]
    [ "$(jq -c .config.Shell <<<"$cfg")" = '["/bin/sh","-e","-c"]' ]
    [ "$(jq -c .config.Cmd <<<"$cfg")" = '["/bin/sh","-e","-c","echo done"]' ]
    [ "$(jq -c .config.Healthcheck.Test <<<"$cfg")" = '["CMD-SHELL","wget -q localhost || exit 1"]' ]
    [ "$(jq -r .config.Healthcheck.Interval <<<"$cfg")" = 30000000000 ]
    # Build args do not stay in the image's environment.
    [[ "$(jq -c .config.Env <<<"$cfg")" != *builder* ]]
    # But a RUN's history records them (so a different value misses the cache).
    [[ "$(jq -r '.history[] | .created_by' <<<"$cfg")" == *"|2 BASE=busybox:test WHO=builder,b /bin/sh -c echo"* ]]
}

@test "exec and shell forms, heredocs for RUN and COPY, escapes and continuation" {
    cat >"$CTX/Dockerfile" <<'EOF'
# escape=`
FROM busybox:test
RUN ["/bin/sh", "-c", "echo exec-form > /exec"]
RUN echo one `
    two > /joined
RUN <<EOT
echo heredoc line 1 > /heredoc
echo heredoc line 2 >> /heredoc
EOT
ARG NAME=expanded
COPY <<EOT /etc/inline.conf
name=$NAME
EOT
COPY <<"EOT" /etc/literal.conf
name=$NAME
EOT
RUN cat <<EOT > /fed
fed through the shell
EOT
EOF
    run ctr_build -t forms "$CTX"
    [ "$status" -eq 0 ]
    run run_image forms:latest cat /exec /joined /heredoc /etc/inline.conf /etc/literal.conf /fed
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = exec-form ]
    [ "${lines[1]}" = "one two" ]
    [ "${lines[2]}" = "heredoc line 1" ]
    [ "${lines[3]}" = "heredoc line 2" ]
    [ "${lines[4]}" = "name=expanded" ]
    [ "${lines[5]}" = 'name=$NAME' ]
    [ "${lines[6]}" = "fed through the shell" ]
}

@test "COPY: globs, directories, --chown, --chmod, relative to WORKDIR; ADD extracts a local tar" {
    mkdir -p "$CTX/src/sub" "$CTX/tree"
    echo a >"$CTX/src/a.txt"
    echo b >"$CTX/src/b.txt"
    echo c >"$CTX/src/c.md"
    echo deep >"$CTX/src/sub/deep.txt"
    echo x >"$CTX/tree/x"
    chmod 600 "$CTX/tree/x"
    ln -s x "$CTX/tree/link"
    mkdir -p "$TEST_DIR/tarsrc/pkg"
    echo packed >"$TEST_DIR/tarsrc/pkg/file"
    tar -C "$TEST_DIR/tarsrc" -czf "$CTX/pkg.tar.gz" pkg
    cat >"$CTX/Dockerfile" <<'EOF'
FROM busybox:test
WORKDIR /app
COPY src/*.txt txt/
COPY tree ./tree
COPY --chown=1000:50 --chmod=640 src/c.md /owned/
COPY --chown=nobody src/sub/deep.txt /owned/deep.txt
ADD pkg.tar.gz /opt/
ADD src/a.txt /added/
EOF
    run ctr_build -t copies "$CTX"
    [ "$status" -eq 0 ]
    run run_image copies:latest sh -c 'cd /app && ls txt && ls -ln tree && stat -c "%u:%g %a" /owned/c.md /owned/deep.txt && cat /opt/pkg/file && ls /added'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = a.txt ]
    [ "${lines[1]}" = b.txt ]
    [[ "$output" == *"link -> x"* ]]
    [[ "$output" == *"-rw-------    1 0        0"*" x"* ]]
    [[ "$output" == *"1000:50 640"* ]]
    [[ "$output" == *"65534:65534 644"* ]]
    [[ "$output" == *"packed"* ]]
    [[ "$output" == *"a.txt"* ]]
}

@test "multi-stage: COPY --from a stage by name and by number, --target, FROM an earlier stage" {
    cat >"$CTX/Dockerfile" <<'EOF'
FROM busybox:test AS build
RUN mkdir /out && echo built-artifact > /out/artifact && chown 1234:5678 /out/artifact

FROM busybox:test AS other
RUN echo other > /other

FROM build AS derived
RUN echo derived > /derived

FROM busybox:test
COPY --from=build /out/artifact /usr/share/artifact
COPY --from=1 /other /other
COPY --from=busybox:test /bin/busybox /copied-busybox
CMD ["cat", "/usr/share/artifact"]
EOF
    run ctr_build -t multi "$CTX"
    [ "$status" -eq 0 ]
    [[ "$output" == *"Step 7/11 : FROM busybox:test"* ]]
    run run_image multi:latest
    [ "$status" -eq 0 ]
    [ "$output" = built-artifact ]
    run run_image multi:latest sh -c 'stat -c %u:%g /usr/share/artifact; cat /other; test -x /copied-busybox && echo exec; test -e /derived || echo no-derived'
    [ "${lines[0]}" = 1234:5678 ]
    [ "${lines[1]}" = other ]
    [ "${lines[2]}" = exec ]
    [ "${lines[3]}" = no-derived ]

    run ctr_build --target derived -t onlyderived "$CTX"
    [ "$status" -eq 0 ]
    [[ "$output" == *"Step 6/6 : RUN echo derived > /derived"* ]]
    run run_image onlyderived:latest cat /out/artifact /derived
    [ "${lines[0]}" = built-artifact ]
    [ "${lines[1]}" = derived ]
    run ctr_build --target nosuch "$CTX"
    [ "$status" -ne 0 ]
    [[ "$output" == *"failed to reach build target nosuch"* ]]
}

@test "ONBUILD is stored, then triggered by a build FROM the image" {
    echo trigger-data >"$CTX/data"
    cat >"$CTX/Dockerfile" <<'EOF'
FROM busybox:test
ONBUILD COPY data /from-trigger
ONBUILD RUN echo ran-trigger > /ran
EOF
    run ctr_build -t parent "$CTX"
    [ "$status" -eq 0 ]
    [ "$(image_config parent:latest | jq -c .config.OnBuild)" = '["COPY data /from-trigger","RUN echo ran-trigger > /ran"]' ]
    printf 'FROM parent\nCMD ["cat", "/from-trigger", "/ran"]\n' >"$CTX/Dockerfile"
    run ctr_build -t child "$CTX"
    [ "$status" -eq 0 ]
    [[ "$output" == *"# Executing 2 build triggers"* ]]
    [ "$(image_config child:latest | jq -c .config.OnBuild)" = null ]
    run run_image child:latest
    [ "${lines[0]}" = trigger-data ]
    [ "${lines[1]}" = ran-trigger ]
}

@test ".dockerignore: excluded files are not copied, exceptions are" {
    mkdir -p "$CTX/logs" "$CTX/keep"
    echo 1 >"$CTX/logs/a.log"
    echo 2 >"$CTX/secret.txt"
    echo 3 >"$CTX/keep/file.md"
    echo 4 >"$CTX/keep/skip.tmp"
    echo 5 >"$CTX/README.md"
    printf '# ignore these\nlogs\nsecret.txt\n**/*.tmp\n*.md\n!keep/*.md\nDockerfile\n' >"$CTX/.dockerignore"
    printf 'FROM busybox:test\nCOPY . /ctx/\n' >"$CTX/Dockerfile"
    run ctr_build -t ignored "$CTX"
    [ "$status" -eq 0 ]
    run run_image ignored:latest find /ctx -type f
    [ "$status" -eq 0 ]
    [[ "$output" == *"/ctx/keep/file.md"* ]]
    [[ "$output" == *"/ctx/.dockerignore"* ]]
    [[ "$output" != *"a.log"* ]]
    [[ "$output" != *"secret.txt"* ]]
    [[ "$output" != *"skip.tmp"* ]]
    [[ "$output" != *"README.md"* ]]
    [[ "$output" != *"Dockerfile"* ]]
    printf 'FROM busybox:test\nCOPY secret.txt /\n' >"$CTX/Dockerfile.2"
    run ctr_build -f "$CTX/Dockerfile.2" "$CTX"
    [ "$status" -ne 0 ]
    [[ "$output" == *"Dockerfile.2:2: COPY failed: file not found in build context or excluded by .dockerignore"* ]]
}

@test "the Dockerfile from stdin with no context; -q, --iidfile, --label, --no-cache" {
    run ctr-build -q --iidfile "$TEST_DIR/iid" --label build.by=test -t fromstdin - <<'EOF'
FROM busybox:test
RUN echo hi > /hi
EOF
    [ "$status" -eq 0 ]
    [[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
    [ "$(cat "$TEST_DIR/iid")" = "$output" ]
    [ "$(image_config fromstdin:latest | jq -r '.config.Labels["build.by"]')" = test ]
    run ctr-build --no-cache - <<'EOF'
FROM busybox:test
RUN echo hi > /hi
EOF
    [ "$status" -eq 0 ]
    [[ "$output" != *"Using cache"* ]]
    run ctr-build - <<'EOF'
FROM busybox:test
COPY x /x
EOF
    [ "$status" -ne 0 ]
    [[ "$output" == *"Dockerfile:2: COPY needs a build context"* ]]
}

@test "SOURCE_DATE_EPOCH: the same context built twice gives the same image id" {
    echo data >"$CTX/data"
    printf 'FROM busybox:test\nCOPY data /data\nRUN echo built > /built\nENV X=1\n' >"$CTX/Dockerfile"
    a=$(SOURCE_DATE_EPOCH=1700000000 ctr_build -q --no-cache "$CTX")
    b=$(SOURCE_DATE_EPOCH=1700000000 ctr_build -q --no-cache "$CTX")
    [ "$a" = "$b" ]
    [ "$(image_config "$(echo "$a" | cut -c8-)" 2>/dev/null | jq -r .created || true)" != x ]
    c=$(ctr_build -q --no-cache "$CTX")
    [ "$a" != "$c" ]
}

@test "FROM an image not in the store with --pull=false is a clear error" {
    printf 'FROM nosuchimage:1\n' >"$CTX/Dockerfile"
    run ctr_build --pull=false "$CTX"
    [ "$status" -ne 0 ]
    [[ "$output" == *"Dockerfile:1: image not in store: nosuchimage:1"* ]]
}

@test "FROM --platform: the automatic platform ARGs, and only this machine's platform" {
    printf 'FROM --platform=$BUILDPLATFORM busybox:test\nARG TARGETARCH\nRUN echo "arch=$TARGETARCH" > /arch\n' >"$CTX/Dockerfile"
    run ctr_build -t plat "$CTX"
    [ "$status" -eq 0 ]
    run run_image plat:latest cat /arch
    [ "$output" = "arch=$(skopeo inspect --config --raw "oci:$CTR_ROOT/oci:plat:latest" | jq -r .architecture)" ]
    printf 'FROM --platform=linux/s390x busybox:test\n' >"$CTX/Dockerfile"
    run ctr_build "$CTX"
    [ "$status" -eq 1 ]
    [[ "$output" == *"Dockerfile:1: FROM --platform=linux/s390x: only this machine's platform"* ]]
}

@test "ADD from a URL: fetched every build, named from the URL, mode 0600, not unpacked; COPY refuses URLs" {
    mkdir -p "$TEST_DIR/www"
    echo served >"$TEST_DIR/www/file.txt"
    tar -C "$TEST_DIR/www" -czf "$TEST_DIR/www/pkg.tar.gz" file.txt
    python3 - "$TEST_DIR/www" "$TEST_DIR/port" "$TEST_ID" <<'PY' &
import functools, http.server, os, sys
http.server.SimpleHTTPRequestHandler.log_message = lambda *a: None
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
open(sys.argv[2] + ".tmp", "w").write(str(srv.server_address[1]))
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
srv.serve_forever()
PY
    for i in $(seq 50); do [ -s "$TEST_DIR/port" ] && break; sleep 0.1; done
    port=$(cat "$TEST_DIR/port")
    printf 'FROM busybox:test\nADD http://127.0.0.1:%s/file.txt /dl/\nADD http://127.0.0.1:%s/pkg.tar.gz /dl/\nADD http://127.0.0.1:%s/file.txt /renamed.txt\n' \
        "$port" "$port" "$port" >"$CTX/Dockerfile"
    run ctr_build -t fetched "$CTX"
    [ "$status" -eq 0 ]
    run run_image fetched:latest sh -c 'cat /dl/file.txt /renamed.txt; stat -c %a /dl/file.txt; ls /dl'
    [ "${lines[0]}" = served ]
    [ "${lines[1]}" = served ]
    [ "${lines[2]}" = 600 ]
    [[ "$output" == *"pkg.tar.gz"* ]]
    run ctr_build "$CTX"
    [ "$(grep -c -- ' ---> Using cache' <<<"$output")" -eq 3 ]
    echo changed >"$TEST_DIR/www/file.txt"
    run ctr_build "$CTX"
    [ "$status" -eq 0 ]
    [[ "$output" != *"Using cache"* ]]
    kill %1
    printf 'FROM busybox:test\nCOPY http://127.0.0.1:1/x /x\n' >"$CTX/Dockerfile"
    run ctr_build "$CTX"
    [ "$status" -eq 1 ]
    [[ "$output" == *"Dockerfile:2: COPY cannot take a URL"* ]]
}

@test "FROM scratch: ADD a root filesystem tar makes a base image" {
    ln "$BUSYBOX_TAR" "$CTX/rootfs.tar" 2>/dev/null || cp "$BUSYBOX_TAR" "$CTX/rootfs.tar"
    printf 'FROM scratch\nADD rootfs.tar /\nCMD ["sh", "-c", "echo from scratch"]\n' >"$CTX/Dockerfile"
    run ctr_build -t fromscratch "$CTX"
    [ "$status" -eq 0 ]
    [ "$(image_config fromscratch:latest | jq '.rootfs.diff_ids | length')" -eq 1 ]
    run run_image fromscratch:latest
    [ "$output" = "from scratch" ]
}
