#!/usr/bin/env bats
# scripts/ is shellcheck-clean (sourced helpers followed).

load helpers

@test "shellcheck finds nothing in scripts/" {
    command -v shellcheck >/dev/null || skip "shellcheck is not installed (scripts/ctr-install-deps installs it)"
    run shellcheck -x -P SCRIPTDIR "$CTR_SRC"/scripts/ctr-* "$CTR_SRC"/scripts/demo
    echo "$output"
    [ "$status" -eq 0 ]
}
