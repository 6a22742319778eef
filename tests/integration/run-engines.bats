#!/usr/bin/env bats
# Real engines drive an OCI runtime: containerd (through its runc shim) and
# podman (through conmon). Every story runs twice, with ctr-run and with runc
# as the runtime: the stories check the runtime contract the engines rely on,
# so both must pass them.

bats_require_minimum_version 1.5.0

load helpers
load containerd-helpers
load engines-helpers

setup_file() { engines_setup_file; }
setup() { ctr_setup; }
teardown() { engines_teardown; }

# ---- containerd

containerd_run() {
    start_engine_containerd
    local id
    id=$(test_name run)
    # shellcheck disable=SC2046
    run cr run --rm $(runc_flags) "$ENGINE_IMAGE" "$id" \
        sh -c 'echo "hello from $(hostname)"; grep memory /proc/self/cgroup; exit 3'
    [ "$status" -eq 3 ]
    [[ "$output" == *"hello from "* ]]
    [[ "$output" == *":memory:/$TEST_ID/$id"* ]]
    # --rm: containerd and the runtime forgot it
    [ -z "$(cr containers ls -q)" ]
    [ -z "$(find "$RT_ROOT/$TEST_ID" -mindepth 1 -maxdepth 1 -name "$id")" ]
}

containerd_exec_kill_delete() {
    start_engine_containerd
    local id pid
    id=$(test_name d)
    # shellcheck disable=SC2046
    cr run -d $(runc_flags) "$ENGINE_IMAGE" "$id" \
        sh -c 'trap "exit 7" TERM; while :; do sleep 0.1; done'
    # The runtime under test holds the container, in its --root.
    [ "$(containerd_rt_state "$id" | jq -r .status)" = running ]
    [ "$(task_status "$id")" = RUNNING ]
    pid=$(cr tasks ls | awk -v id="$id" '$1 == id {print $2}')

    run cr tasks exec --exec-id e1 "$id" sh -c 'echo "exec sees $(tr "\0" " " </proc/1/cmdline)"; exit 5'
    [ "$status" -eq 5 ]
    [[ "$output" == "exec sees sh -c trap"* ]]
    # tasks ps asks the runtime (`ps --format json`)
    run cr tasks ps "$id"
    [ "$status" -eq 0 ]
    [[ "$output" == *"$pid"* ]]

    cr tasks kill "$id"   # SIGTERM, which the container's pid 1 traps
    wait_for 10 task_stopped "$id"
    run cr tasks delete "$id"
    [ "$status" -eq 0 ]
    [[ "$output" == *"exit code 7"* ]]
    # delete removed the runtime's state and the container's cgroup
    run containerd_rt_state "$id"
    [ "$status" -ne 0 ]
    [ ! -d "$(containerd_cgroup memory "$id")" ]
    cr containers rm "$id"
    [ -z "$(cr containers ls -q)" ]
    ! grep -q "/$id/rootfs " /proc/self/mountinfo
}

containerd_pause_resume() {
    start_engine_containerd
    local id n1 n2
    id=$(test_name p)
    mkdir "$TEST_DIR/out"
    # shellcheck disable=SC2046
    cr run -d $(runc_flags) --mount "type=bind,src=$TEST_DIR/out,dst=/out,options=rbind:rw" "$ENGINE_IMAGE" "$id" \
        sh -c 'i=0; while :; do i=$((i + 1)); echo $i >/out/n.tmp; mv /out/n.tmp /out/n; sleep 0.05; done'
    wait_for 5 test -s "$TEST_DIR/out/n"

    cr tasks pause "$id"
    [ "$(task_status "$id")" = PAUSED ]
    [ "$(containerd_rt_state "$id" | jq -r .status)" = paused ]
    [ "$(cat "$(containerd_cgroup freezer "$id")/freezer.state")" = FROZEN ]
    n1=$(cat "$TEST_DIR/out/n")
    sleep 0.5
    n2=$(cat "$TEST_DIR/out/n")
    [ "$n1" = "$n2" ]

    cr tasks resume "$id"
    [ "$(task_status "$id")" = RUNNING ]
    [ "$(containerd_rt_state "$id" | jq -r .status)" = running ]
    wait_for 5 eval '[ "$(cat "$TEST_DIR/out/n")" -gt "$n2" ]'
}

containerd_metrics() {
    start_engine_containerd
    local id cg m
    id=$(test_name m)
    # shellcheck disable=SC2046
    cr run -d $(runc_flags) --memory-limit 67108864 "$ENGINE_IMAGE" "$id" \
        sh -c 'i=0; while [ $i -lt 20000 ]; do i=$((i + 1)); done; sleep 1000 & wait'
    cg=$(containerd_cgroup memory "$id")
    [ "$(cat "$cg/memory.limit_in_bytes")" = 67108864 ]
    wait_for 10 eval '[ "$(cat "$(containerd_cgroup pids "$id")/pids.current")" = 2 ]'

    m=$(cr tasks metrics --format json "$id")
    [ "$(jq .memory.usage.limit <<<"$m")" = 67108864 ]
    [ "$(jq .memory.usage.usage <<<"$m")" -gt 0 ]
    [ "$(jq .pids.current <<<"$m")" = 2 ]
    [ "$(jq .cpu.usage.total <<<"$m")" -gt 0 ]
    run cr tasks metrics "$id"
    [ "$status" -eq 0 ]
    [[ "$output" == *"memory.limit_in_bytes"*67108864* ]]
    [[ "$output" == *"pids.current"*2* ]]
}

# A terminal: `ctr run -t` and `ctr tasks exec -t` hand the runtime a console
# socket; ctr sizes the pty like its own terminal (tmux's 100x30 window).
containerd_tty() {
    start_engine_containerd
    local id ctr_cmd
    id=$(test_name t)
    ctr_cmd="ctr -a $CONTAINERD_SOCK -n $TEST_ID"
    terminal_story "$ctr_cmd run -t --rm $(runc_flags) $ENGINE_IMAGE $id sh" \
        "$ctr_cmd tasks exec -t --exec-id t1 $id sh"
}

# A command that cannot start: the runtime's error reaches the user through
# the shim, and nothing is left behind.
containerd_start_errors() {
    start_engine_containerd
    # shellcheck disable=SC2046
    run cr run --rm $(runc_flags) "$ENGINE_IMAGE" "$(test_name a)" nosuchcmd
    [ "$status" -ne 0 ]
    [[ "$output" == *'"nosuchcmd": executable file not found in $PATH'* ]]
    # shellcheck disable=SC2046
    run cr run --rm $(runc_flags) "$ENGINE_IMAGE" "$(test_name b)" /etc/passwd
    [ "$status" -ne 0 ]
    [[ "$output" == *'"/etc/passwd": permission denied'* ]]
    [ -z "$(cr tasks ls -q)" ]
    [ -z "$(find "$RT_ROOT/$TEST_ID" -mindepth 1 -maxdepth 1 -name "$TEST_ID*")" ]
}

# A runtime class of containerd's CRI plugin: [...runtimes.ctrtest] with
# runtime_type io.containerd.runc.v2 and options BinaryName (and Root) in
# config.toml, driven the way a kubelet drives it (cri-client.py): a pod
# sandbox, a container in it, ExecSync, UpdateContainerResources, stop, remove.
containerd_cri_runtime_class() {
    start_containerd_cri
    local pod_cfg pod c_cfg cid out cg
    mkdir "$TEST_DIR/pod-logs"
    pod_cfg=$(jq -cn --arg name "$(test_name pod)" --arg cg "/$TEST_ID/pod" --arg logs "$TEST_DIR/pod-logs" '{
        metadata: {name: $name, uid: $name, namespace: "default"},
        log_directory: $logs,
        linux: {cgroup_parent: $cg, security_context: {namespace_options: {network: "NODE"}}}}')
    pod=$(cri RunPodSandbox "$(jq -cn --argjson c "$pod_cfg" '{config: $c, runtime_handler: "ctrtest"}')" |
        jq -r .pod_sandbox_id)
    # The sandbox (pause) container runs under the runtime the config names.
    [ "$("$RT_BIN" --root "$RT_ROOT/k8s.io" state "$pod" | jq -r .status)" = running ]

    c_cfg=$(jq -cn --arg img "$ENGINE_IMAGE" '{
        metadata: {name: "c"}, image: {image: $img}, log_path: "c.log",
        command: ["sh", "-c", "trap \"echo got TERM; exit 7\" TERM; echo hello from the pod; while :; do sleep 0.1; done"],
        linux: {resources: {memory_limit_in_bytes: 67108864}}}')
    cid=$(cri CreateContainer "$(jq -cn --arg p "$pod" --argjson c "$c_cfg" --argjson s "$pod_cfg" \
        '{pod_sandbox_id: $p, config: $c, sandbox_config: $s}')" | jq -r .container_id)
    cri StartContainer "{\"container_id\": \"$cid\"}" >/dev/null
    [ "$("$RT_BIN" --root "$RT_ROOT/k8s.io" state "$cid" | jq -r .status)" = running ]
    [ "$(cri ContainerStatus "{\"container_id\": \"$cid\"}" | jq -r .status.state)" = CONTAINER_RUNNING ]
    wait_for 10 grep -q "hello from the pod" "$TEST_DIR/pod-logs/c.log"
    cg=/sys/fs/cgroup/memory/$TEST_ID/pod/$cid
    [ "$(cat "$cg/memory.limit_in_bytes")" = 67108864 ]

    # ExecSync: output and exit code; the container shares the sandbox's pid
    # namespace (the runtime joined it by path), so it sees the pause process.
    out=$(cri ExecSync "$(jq -cn --arg c "$cid" '{container_id: $c, timeout: 30,
        cmd: ["sh", "-c", "echo exec out; ps -o args | grep -c \"^sleep 2147483647\"; exit 4"]}')")
    [ "$(jq -r .exit_code <<<"$out")" = 4 ]
    [ "$(jq -r .stdout <<<"$out" | base64 -d)" = "exec out
1" ]

    # UpdateContainerResources runs the runtime's `update --resources -`.
    cri UpdateContainerResources "$(jq -cn --arg c "$cid" \
        '{container_id: $c, linux: {memory_limit_in_bytes: 134217728}}')" >/dev/null
    [ "$(cat "$cg/memory.limit_in_bytes")" = 134217728 ]

    cri StopContainer "{\"container_id\": \"$cid\", \"timeout\": 10}" >/dev/null
    out=$(cri ContainerStatus "{\"container_id\": \"$cid\"}")
    [ "$(jq -r .status.state <<<"$out")" = CONTAINER_EXITED ]
    [ "$(jq -r .status.exit_code <<<"$out")" = 7 ]
    grep -q "got TERM" "$TEST_DIR/pod-logs/c.log"
    cri RemoveContainer "{\"container_id\": \"$cid\"}" >/dev/null
    run "$RT_BIN" --root "$RT_ROOT/k8s.io" state "$cid"
    [ "$status" -ne 0 ]
    [ ! -d "$cg" ]

    cri StopPodSandbox "{\"pod_sandbox_id\": \"$pod\"}" >/dev/null
    cri RemovePodSandbox "{\"pod_sandbox_id\": \"$pod\"}" >/dev/null
    run "$RT_BIN" --root "$RT_ROOT/k8s.io" state "$pod"
    [ "$status" -ne 0 ]
}

# ---- podman

podman_run_rm() {
    start_podman
    # shellcheck disable=SC2046
    run pm run --rm $(pm_run_flags) --name "$(test_name)" "$ENGINE_IMAGE" \
        sh -c 'echo "hello from $(hostname)"; grep memory /proc/self/cgroup; exit 4'
    [ "$status" -eq 4 ]
    [[ "$output" == *"hello from "* ]]
    [[ "$output" == *":memory:/$TEST_ID/libpod-"* ]]
    [ -z "$(pm ps -aq)" ]
}

podman_detach_exec_stop() {
    start_podman
    local name id
    name=$(test_name d)
    # shellcheck disable=SC2046
    id=$(pm run -d $(pm_run_flags) --name "$name" "$ENGINE_IMAGE" \
        sh -c 'trap "echo got TERM; exit 7" TERM; echo started; while :; do sleep 0.1; done')
    # The runtime under test holds it (podman uses the runtime's default --root).
    [ "$("$RT_BIN" state "$id" | jq -r .status)" = running ]

    run pm exec "$name" sh -c 'echo "exec sees $(tr "\0" " " </proc/1/cmdline)"; exit 6'
    [ "$status" -eq 6 ]
    [[ "$output" == "exec sees sh -c trap"* ]]
    run pm exec -i "$name" sh -c 'read -r line; echo "read: $line"' <<<"from stdin"
    [ "$status" -eq 0 ]
    [ "$output" = "read: from stdin" ]
    run pm exec -u 1000:1000 -w /tmp -e FOO=bar "$name" sh -c 'echo "$(id -u) $(pwd) $FOO"'
    [ "$output" = "1000 /tmp bar" ]

    run pm stop -t 10 "$name"
    [ "$status" -eq 0 ]
    [ "$(pm inspect -f '{{.State.ExitCode}}' "$name")" = 7 ]
    [[ "$(pm logs "$name")" == *"got TERM"* ]]
    # podman's cleanup deleted the container from the runtime
    wait_for 10 eval '! "$RT_BIN" state "$id" >/dev/null 2>&1'
}

podman_limits() {
    start_podman
    local name id
    name=$(test_name l)
    # shellcheck disable=SC2046
    id=$(pm run -d $(pm_run_flags) --memory 64m --pids-limit 20 --name "$name" "$ENGINE_IMAGE" sleep 1000)
    [ "$(cat "$(podman_cgroup memory "$id")/memory.limit_in_bytes")" = 67108864 ]
    [ "$(cat "$(podman_cgroup pids "$id")/pids.max")" = 20 ]
    # The container sees its own cgroup, and the pids limit holds.
    run pm exec "$name" cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max
    [ "$output" = "67108864
20" ]
    # A shell forks sleeps until it can't (and dies of it); its parent then
    # reads the count with builtins.
    run pm exec "$name" sh -c 'sh -c "while :; do sleep 100 & done"
        read -r n </sys/fs/cgroup/pids/pids.current; echo "$n"'
    [[ "$output" == *"can't fork"* ]]
    [ "${lines[-1]}" -ge 18 ] && [ "${lines[-1]}" -le 20 ]
    # and the memory limit: 64 MiB of data in a shell variable is too much
    # shellcheck disable=SC2046
    run pm run --rm $(pm_run_flags) --memory 32m --memory-swap 32m "$ENGINE_IMAGE" \
        sh -c 'x=$(head -c 67108864 /dev/zero | tr "\0" a); echo survived'
    [ "$status" -eq 137 ]
    [[ "$output" != *survived* ]]
}

# -it: conmon gives the runtime a console socket and relays the pty.
podman_tty() {
    start_podman
    local name
    name=$(test_name t)
    terminal_story "$PODMAN_DIR/podman --runtime $RT_BIN run -it --rm $(pm_run_flags) --name $name $ENGINE_IMAGE sh" \
        "$PODMAN_DIR/podman --runtime $RT_BIN exec -it $name sh"
    [ -z "$(pm ps -aq)" ]
}

podman_stats() {
    start_podman
    local name
    name=$(test_name s)
    # shellcheck disable=SC2046
    pm run -d $(pm_run_flags) --memory 64m --name "$name" "$ENGINE_IMAGE" sh -c 'sleep 1000 & wait' >/dev/null
    run pm stats --no-stream --format '{{.Name}}|{{.MemUsage}}|{{.PIDs}}' "$name"
    [ "$status" -eq 0 ]
    [[ "$output" == "$name|"*" / 67.11MB|2" ]]
    [[ "$output" != *"|0B / "* ]]
    run pm stats --no-stream "$name"
    [ "$status" -eq 0 ]
    [[ "${lines[0]}" == *"MEM USAGE / LIMIT"* ]]
    [[ "${lines[1]}" == *"$name"* ]]
}

# podman turns a command that cannot start into docker's exit codes, 127 (not
# found) and 126 (not executable), by reading the runtime's error: ctr-run
# words these errors as runc does.
podman_start_errors() {
    start_podman
    local name
    name=$(test_name e)
    # shellcheck disable=SC2046
    run -127 pm run --rm $(pm_run_flags) "$ENGINE_IMAGE" nosuchcmd
    [[ "$output" == *'"nosuchcmd": executable file not found in $PATH'* ]]
    # shellcheck disable=SC2046
    run -127 pm run --rm $(pm_run_flags) "$ENGINE_IMAGE" /nonexistent
    # shellcheck disable=SC2046
    run -126 pm run --rm $(pm_run_flags) "$ENGINE_IMAGE" /etc/passwd
    # shellcheck disable=SC2046
    pm run -d $(pm_run_flags) --name "$name" "$ENGINE_IMAGE" sleep 1000 >/dev/null
    run -127 pm exec "$name" nosuchcmd
    run -126 pm exec "$name" /etc/passwd
    # the failed execs left it running; the failed run --rm left nothing
    [ "$(pm inspect -f '{{.State.Status}}' "$name")" = running ]
    [ "$(pm ps -aq | wc -l)" = 1 ]
}

# podman --systemd=always: a real systemd as pid 1 (the host's, over the
# host's root through an overlay, --rootfs /:O) boots to a target of its own
# (SYSTEMD_UNIT_PATH, so no host service starts). It makes its cgroups in the
# name=systemd hierarchy podman binds writable, so it must find no other
# hierarchy it could take for its own.
podman_systemd() {
    [ -x /lib/systemd/systemd ] || skip "systemd is not installed"
    start_podman
    local name
    name=$(test_name sd)
    mkdir "$TEST_DIR/units"
    printf '[Unit]\nDescription=run-engines test target\n' >"$TEST_DIR/units/ctrtest.target"
    # shellcheck disable=SC2046
    pm run -d $(pm_run_flags) --name "$name" --systemd always \
        --tmpfs /tmp:rw,notmpcopyup --tmpfs /run:rw,notmpcopyup --tmpfs /run/lock:rw,notmpcopyup \
        -v "$TEST_DIR/units:/ctrtest-units:ro" -e SYSTEMD_UNIT_PATH=/ctrtest-units \
        --rootfs /:O /lib/systemd/systemd --unit=ctrtest.target >/dev/null
    if ! wait_for 30 systemd_running "$name"; then
        pm ps -a >&2
        pm logs "$name" >&2
        return 1
    fi
    run pm exec "$name" cat /proc/1/cgroup
    [[ "$output" == *":name=systemd:/$TEST_ID/libpod-"*"/init.scope"* ]]
    run pm exec "$name" systemctl is-active ctrtest.target
    [ "$output" = active ]
}
systemd_running() { [ "$(pm exec "$1" systemctl is-system-running 2>/dev/null)" = running ]; }

# A podman pod: its containers join the infra container's namespaces, which
# podman hands the runtime as paths (/proc/PID/ns/...). podman gives the infra
# container the rlimits of containers.conf, not of --ulimit.
podman_pod() {
    start_podman
    local pod c1
    pod=$(test_name pod)
    c1=$(test_name c1)
    export CONTAINERS_CONF=$PODMAN_DIR/containers.conf
    printf '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n' >"$CONTAINERS_CONF"
    pm pod create --name "$pod" --cgroup-parent "/$TEST_ID" --network none --share ipc,uts,pid,net \
        --infra-image "$ENGINE_IMAGE" --infra-command 'sleep 2147483647' >/dev/null
    pm run -d --pod "$pod" --name "$c1" "$ENGINE_IMAGE" sleep 1000 >/dev/null
    run pm run --rm --pod "$pod" "$ENGINE_IMAGE" \
        sh -c 'hostname; ps -o args | grep "^sleep"; readlink /proc/self/ns/ipc; readlink /proc/self/ns/net'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "$pod" ]
    [ "${lines[1]}" = "sleep 2147483647" ]
    [ "${lines[2]}" = "sleep 1000" ]
    [ "${lines[3]}" = "$(pm exec "$c1" readlink /proc/self/ns/ipc)" ]
    [ "${lines[4]}" = "$(pm exec "$c1" readlink /proc/self/ns/net)" ]
    [ "$(pm pod ps --format '{{.Name}} {{.Status}}')" = "$pod Running" ]
    pm pod rm -f -t 0 "$pod" >/dev/null
    [ -z "$(pm ps -aq)" ]
}

# The runtime as a containers.conf entry, podman run without --runtime.
podman_containers_conf() {
    start_podman
    local id
    export CONTAINERS_CONF=$PODMAN_DIR/containers.conf
    cat >"$CONTAINERS_CONF" <<EOF
[engine]
runtime = "ctrtest-runtime"

[engine.runtimes]
ctrtest-runtime = ["$RT_BIN"]
EOF
    [ "$(PM_RUNTIME='' pm info --format '{{.Host.OCIRuntime.Path}}')" = "$RT_BIN" ]
    # shellcheck disable=SC2046
    PM_RUNTIME='' run pm run --rm $(pm_run_flags) "$ENGINE_IMAGE" sh -c 'echo via containers.conf; exit 2'
    [ "$status" -eq 2 ]
    [ "$output" = "via containers.conf" ]
    # shellcheck disable=SC2046
    id=$(PM_RUNTIME='' pm run -d $(pm_run_flags) "$ENGINE_IMAGE" sleep 1000)
    [ "$("$RT_BIN" state "$id" | jq -r .status)" = running ]
}

# ---- each story with each runtime

@test "containerd ctr run --runc-binary ctr-run: output and exit code" { use_runtime ctr-run; containerd_run; }
@test "containerd ctr run --runc-binary runc: output and exit code" { use_runtime runc; containerd_run; }
@test "containerd with ctr-run: run -d, exec, ps, kill, delete" { use_runtime ctr-run; containerd_exec_kill_delete; }
@test "containerd with runc: run -d, exec, ps, kill, delete" { use_runtime runc; containerd_exec_kill_delete; }
@test "containerd with ctr-run: pause and resume" { use_runtime ctr-run; containerd_pause_resume; }
@test "containerd with runc: pause and resume" { use_runtime runc; containerd_pause_resume; }
@test "containerd with ctr-run: tasks metrics from the cgroup" { use_runtime ctr-run; containerd_metrics; }
@test "containerd with runc: tasks metrics from the cgroup" { use_runtime runc; containerd_metrics; }
@test "containerd with ctr-run: run -t and exec -t in a terminal" { use_runtime ctr-run; containerd_tty; }
@test "containerd with runc: run -t and exec -t in a terminal" { use_runtime runc; containerd_tty; }
@test "containerd with ctr-run: a command that cannot start" { use_runtime ctr-run; containerd_start_errors; }
@test "containerd with runc: a command that cannot start" { use_runtime runc; containerd_start_errors; }
@test "containerd CRI runtime class with BinaryName = ctr-run: pod, exec, update, stop" { use_runtime ctr-run; containerd_cri_runtime_class; }
@test "containerd CRI runtime class with BinaryName = runc: pod, exec, update, stop" { use_runtime runc; containerd_cri_runtime_class; }

@test "podman --runtime ctr-run: run --rm output and exit code" { use_runtime ctr-run; podman_run_rm; }
@test "podman --runtime runc: run --rm output and exit code" { use_runtime runc; podman_run_rm; }
@test "podman with ctr-run: run -d, exec, stop" { use_runtime ctr-run; podman_detach_exec_stop; }
@test "podman with runc: run -d, exec, stop" { use_runtime runc; podman_detach_exec_stop; }
@test "podman with ctr-run: --memory and --pids-limit in the cgroup" { use_runtime ctr-run; podman_limits; }
@test "podman with runc: --memory and --pids-limit in the cgroup" { use_runtime runc; podman_limits; }
@test "podman with ctr-run: run -it and exec -it through conmon" { use_runtime ctr-run; podman_tty; }
@test "podman with runc: run -it and exec -it through conmon" { use_runtime runc; podman_tty; }
@test "podman with ctr-run: stats --no-stream" { use_runtime ctr-run; podman_stats; }
@test "podman with runc: stats --no-stream" { use_runtime runc; podman_stats; }
@test "podman with ctr-run: exit codes 126 and 127 of run and exec" { use_runtime ctr-run; podman_start_errors; }
@test "podman with runc: exit codes 126 and 127 of run and exec" { use_runtime runc; podman_start_errors; }
@test "podman with ctr-run: --systemd always boots systemd" { use_runtime ctr-run; podman_systemd; }
@test "podman with runc: --systemd always boots systemd" { use_runtime runc; podman_systemd; }
@test "podman with ctr-run: a pod's containers share the infra container's namespaces" { use_runtime ctr-run; podman_pod; }
@test "podman with runc: a pod's containers share the infra container's namespaces" { use_runtime runc; podman_pod; }
@test "podman with ctr-run from containers.conf" { use_runtime ctr-run; podman_containers_conf; }
@test "podman with runc from containers.conf" { use_runtime runc; podman_containers_conf; }
