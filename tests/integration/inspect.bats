#!/usr/bin/env bats
# ctr-inspect: docker-like JSON and Go templates.

load helpers
load store_helpers

setup() { ctr_setup; }
teardown() { ctr_teardown; }

@test "inspect prints a JSON array of docker-like image objects" {
    id=$(tar -C "$BUSYBOX_ROOTFS" -c . | ctr-import -q -c 'CMD ["/bin/sh"]' -c 'ENV PATH=/bin:/usr/bin' - busybox)
    run ctr-inspect busybox
    [ "$status" -eq 0 ]
    [ "$(echo "$output" | jq -r '.[0].Id')" = "$id" ]
    [ "$(echo "$output" | jq -r '.[0].RepoTags[0]')" = "busybox:latest" ]
    [ "$(echo "$output" | jq -c '.[0].Config.Cmd')" = '["/bin/sh"]' ]
    [ "$(echo "$output" | jq -r '.[0].RootFS.Type')" = layers ]
    [ "$(echo "$output" | jq -r '.[0].RootFS.Layers | length')" = 1 ]
    [ "$(echo "$output" | jq -r '.[0].Size')" -gt 500000 ]
    [ "$(echo "$output" | jq -r '.[0].Os')" = linux ]
    [[ $(echo "$output" | jq -r '.[0].Created') == 20* ]]
    [ "$(ctr-inspect "${id:7:12}" | jq -r '.[0].Id')" = "$id" ]
}

@test "Parent: the image a build step was built on; none for an imported image; no ContainerConfig" {
    base=$(import_busybox)
    mapfile -t ids < <(build_chain app)  # busybox, COPY, ENV, CMD
    [ "${#ids[@]}" = 4 ] && [ "${ids[0]}" = "$base" ]
    run ctr-inspect app "${ids[1]:7:12}" busybox
    [ "$status" -eq 0 ]
    [ "$(jq -r '.[].Parent' <<<"$output")" = "$(printf '%s\n%s\n' "${ids[2]}" "$base")" ]
    [ "$(jq -r '.[0] | has("ContainerConfig"), has("Container")' <<<"$output")" = "$(printf 'false\nfalse')" ]
    [ "$(ctr-inspect -f '{{.Parent}}' "${ids[2]}")" = "${ids[1]}" ]
}

@test "-f templates: fields, json, range, nested" {
    id=$(tar -C "$BUSYBOX_ROOTFS" -c . | ctr-import -q -c 'CMD ["/bin/sh","-c","echo hi"]' -c 'LABEL a=1 b=2' - t:1)
    [ "$(ctr-inspect -f '{{.Config.Cmd}}' t:1)" = "[/bin/sh -c echo hi]" ]
    [ "$(ctr-inspect -f '{{.Id}}' t:1)" = "$id" ]
    [ "$(ctr-inspect -f '{{json .Config.Labels}}' t:1)" = '{"a":"1","b":"2"}' ]
    [ "$(ctr-inspect --format '{{range .RepoTags}}[{{.}}]{{end}}' t:1)" = "[t:1]" ]
    [ "$(ctr-inspect -f '{{range $k, $v := .Config.Labels}}{{$k}}={{$v}} {{end}}' t:1)" = "a=1 b=2 " ]
    [ "$(ctr-inspect -f '{{if .Config.Entrypoint}}ep{{else}}no entrypoint{{end}}' t:1)" = "no entrypoint" ]
    ctr-inspect -f '{{json .Config}}' t:1 | jq -e '.Cmd | length == 3' >/dev/null
    run ctr-inspect -f '{{.Config.Cmd' t:1
    [ "$status" -ne 0 ]
    [[ $output == *"template: "*"unclosed action"* ]]
}

@test "a missing name is an error; the others are still printed" {
    import_busybox here >/dev/null
    run ctr-inspect -f '{{.RepoTags}}' here nothere
    [ "$status" -eq 1 ]
    [[ $output == *"[here:latest]"* ]]
    [[ $output == *"Error: No such object: nothere"* ]]
    run ctr-inspect --type container here
    [ "$status" -eq 1 ]
}

@test "containers are found by id, prefix or name in their container.json" {
    id=$(import_busybox img)
    cid=$(printf 'ab%062d' 1)
    mkdir -p "$CTR_ROOT/containers/$cid"
    printf '{"Id":"%s","Name":"web","Image":"%s","ImageRef":"img"}' "$cid" "$id" >"$CTR_ROOT/containers/$cid/container.json"
    [ "$(ctr-inspect -f '{{.Name}} {{.Image}}' web)" = "/web $id" ]
    [ "$(ctr-inspect -f '{{.Id}}' "${cid:0:12}")" = "$cid" ]
    [ "$(ctr-inspect --type image -f '{{.Id}}' img)" = "$id" ]
}

@test "containers: docker-like JSON, -f, container first then image, --type" {
    import_busybox >/dev/null
    id=$(ctr-create --name "$(test_name box)" -e A=1 busybox sh -c 'exit 0')
    run ctr-inspect "$(test_name box)"
    [ "$status" -eq 0 ]
    [ "$(echo "$output" | jq -r '.[0].Id')" = "$id" ]
    [ "$(echo "$output" | jq -r '.[0].Name')" = "/$(test_name box)" ]
    [ "$(echo "$output" | jq -r '.[0].State.Status')" = created ]
    [ "$(echo "$output" | jq -r '.[0].State.Running')" = false ]
    [ "$(echo "$output" | jq -r '.[0].State.FinishedAt')" = 0001-01-01T00:00:00Z ]
    [ "$(echo "$output" | jq -r '.[0].Path')" = sh ]
    [ "$(echo "$output" | jq -r '.[0].LogPath')" = "$CTR_ROOT/containers/$id/log.json" ]
    [ "$(echo "$output" | jq -r '.[0].State | has("MonitorPid")')" = false ]
    [ "$(ctr-inspect -f '{{.State.Status}}' "${id:0:8}")" = created ]
    [[ $(ctr-inspect -f '{{json .Config.Env}}' "$id") == *'"A=1"'* ]]
    # A container named like an image wins; --type picks.
    id2=$(ctr-create --name busybox busybox true)
    [ "$(ctr-inspect -f '{{.Id}}' busybox)" = "$id2" ]
    [ "$(ctr-inspect --type image -f '{{.Id}}' busybox)" = "$(ctr-images -q --no-trunc busybox)" ]
    run ctr-inspect --type container nosuch
    [ "$status" -eq 1 ]
    [[ $output == *"No such object: nosuch"* ]]
}
