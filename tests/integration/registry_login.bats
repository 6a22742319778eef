#!/usr/bin/env bats
# ctr-login and ctr-logout against a TLS registry with htpasswd auth.

load helpers
load registry_helpers

setup_file() { registry_setup_file; }
teardown_file() { registry_teardown_file; }
setup() {
    ctr_setup
    export REGISTRY_AUTH_FILE=$TEST_DIR/auth/auth.json
}
teardown() { registry_teardown; }

@test "login stores the credentials 0600 in REGISTRY_AUTH_FILE, logout removes them" {
    run ctr-login --cert-dir "$REG_CA_DIR" -u "$REG_USER" --password-stdin "$REG_TLS" <<<"$REG_PASS"
    [ "$status" -eq 0 ]
    [ "$output" = "Login Succeeded!" ]
    [ "$(stat -c %a "$REGISTRY_AUTH_FILE")" = 600 ]
    # The password is stored in the usual format (skopeo reads it) and never printed.
    [[ $output != *"$REG_PASS"* ]]
    run python3 -c 'import json,sys,base64; a=json.load(open(sys.argv[1]))["auths"][sys.argv[2]]["auth"]; print(base64.b64decode(a).decode())' \
        "$REGISTRY_AUTH_FILE" "$REG_TLS"
    [ "$output" = "$REG_USER:$REG_PASS" ]
    run skopeo inspect --cert-dir "$REG_CA_DIR" --authfile "$REGISTRY_AUTH_FILE" "docker://$REG_TLS/ctr/busybox:3layers"
    [ "$status" -eq 0 ]
    run ctr-login --get-login "$REG_TLS"
    [ "$output" = "$REG_USER" ]
    ls -A "$TEST_DIR/auth" | grep -v '^auth.json$' && false

    run ctr-logout "$REG_TLS"
    [ "$status" -eq 0 ]
    [ "$output" = "Removed login credentials for $REG_TLS" ]
    run ctr-logout "$REG_TLS"
    [ "$status" -eq 1 ]
    [[ $output == *"not logged in to $REG_TLS"* ]]
}

@test "login with a wrong password fails and stores nothing" {
    run ctr-login --cert-dir "$REG_CA_DIR" -u "$REG_USER" -p wrong "https://$REG_TLS/"
    [ "$status" -eq 1 ]
    [[ $output == *"rejected the credentials of user \"$REG_USER\""* ]]
    [ ! -e "$REGISTRY_AUTH_FILE" ]
}

@test "login refuses a certificate the machine does not trust unless --tls-verify=false" {
    run ctr-login -u "$REG_USER" -p "$REG_PASS" "$REG_TLS"
    [ "$status" -eq 1 ]
    [[ $output == *"TLS"*"--tls-verify=false"* ]]
    [ ! -e "$REGISTRY_AUTH_FILE" ]
    run ctr-login --tls-verify=false -u "$REG_USER" -p "$REG_PASS" "$REG_TLS"
    [ "$status" -eq 0 ]
}

@test "login keeps other entries and docker's config.json is read, not written" {
    mkdir -p "$TEST_DIR/home/.docker"
    printf '{"auths":{"other.example":{"auth":"%s"}}}\n' "$(printf 'x:y' | base64)" >"$TEST_DIR/home/.docker/config.json"
    cp "$TEST_DIR/home/.docker/config.json" "$TEST_DIR/docker-before"
    HOME=$TEST_DIR/home run ctr-login --get-login other.example
    [ "$output" = x ]
    HOME=$TEST_DIR/home run ctr-login --cert-dir "$REG_CA_DIR" -u "$REG_USER" -p "$REG_PASS" "$REG_TLS"
    [ "$status" -eq 0 ]
    cmp "$TEST_DIR/home/.docker/config.json" "$TEST_DIR/docker-before"
    HOME=$TEST_DIR/home run ctr-logout other.example
    [ "$status" -eq 1 ]
    [[ $output == *"docker logout"* ]]
    run ctr-logout --all
    [ "$status" -eq 0 ]
    run ctr-login --get-login "$REG_TLS"
    [ "$status" -eq 1 ]
}

@test "login to the insecure plain-HTTP registry from registries.conf" {
    # No auth there: any credentials are accepted, and the registry is reached over HTTP.
    run ctr-login -u someone -p any "$REG_PLAIN"
    [ "$status" -eq 0 ]
    CTR_REGISTRIES_CONF=/dev/null run ctr-login -u someone -p any "$REG_PLAIN"
    [ "$status" -eq 1 ]
    [[ $output == *"cannot reach registry $REG_PLAIN"* ]]
}
