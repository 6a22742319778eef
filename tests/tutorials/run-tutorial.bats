#!/usr/bin/env bats
# run-tutorial itself: a document whose outputs match passes; one that
# differs from the terminal in any way fails, naming the line.

load tutorial-helpers

setup() { ctr_setup; }
teardown() { ctr_teardown; }

# doc NAME: writes stdin to $TEST_DIR/NAME.md and runs it.
doc() {
    cat >"$TEST_DIR/$1.md"
    cd "$TEST_DIR" || return 1
    run "$CTR_SRC/tests/tutorials/run-tutorial" --timeout 5 --transcript "$TEST_DIR/$1.tr" "$TEST_DIR/$1.md"
    echo "$output"
}

@test "matching outputs, elisions, placeholders, keys, typed text, a shell's prompt and ports pass" {
    doc good <<'EOF2'
```console
$ printf 'a  b\nnoise\nc\n'
a b
…
c
$ echo cafe1234abcd; echo cafe1234abcd0000
<id1>
<id1>…
$ echo <id1>
<id1>
$ cat >f
typed<Enter>
<Ctrl-D>
$ cat f
typed
$ echo started; sleep 100
started
<Ctrl-C>
$ sh -c 'exit 3'
[exit status 3]
$ echo 18081 18081 18082
18081 18081 18082
$ env PS1='/ # ' busybox sh
…
/ # echo inside
inside
/ # exit
```
EOF2
    [ "$status" -eq 0 ]
    grep -qx 'cafe1234abcd' "$TEST_DIR/good.tr"
    # The ports were free ones, the same each time, and not the document's.
    ports=$(grep -xE '[0-9]+ [0-9]+ [0-9]+' "$TEST_DIR/good.tr")
    read -r a b c <<<"$ports"
    [ "$a" = "$b" ] && [ "$a" != "$c" ] && [ "$a" != 18081 ]
    [ "$a" -ge 18000 ] && [ "$a" -le 18999 ]
}

@test "an output line the terminal does not show fails, naming the document's line" {
    doc wrong <<'EOF2'
Some prose.

```console
$ echo hello
goodbye
```
EOF2
    [ "$status" -eq 1 ]
    [[ $output == *"wrong.md:5: after 'echo hello' (line 4) the document shows"* ]]
    [[ $output == *"goodbye"* && $output == *"| hello"* ]]
}

@test "an output line the document leaves out fails too (unless it says …)" {
    doc extra <<'EOF2'
```console
$ printf 'one\ntwo\n'
one
```
EOF2
    [ "$status" -eq 1 ]
    [[ $output == *"| two"* ]]
}

@test "a command failing where the document shows no status fails; a wrong status fails" {
    doc fails <<'EOF2'
```console
$ false
$ echo next
next
```
EOF2
    [ "$status" -eq 1 ]
    [[ $output == *"fails.md:2: 'false' exited with status 1, not 0"* ]]
    doc status <<'EOF2'
```console
$ sh -c 'exit 2'
[exit status 3]
```
EOF2
    [ "$status" -eq 1 ]
    [[ $output == *"exited with status 2, not 3"* ]]
}

@test "a label matching two different values fails; typing a label nothing showed fails" {
    doc labels <<'EOF2'
```console
$ echo aaaaaaaaaaaa; echo bbbbbbbbbbbb
<id1>
<id1>
```
EOF2
    [ "$status" -eq 1 ]
    doc unknown <<'EOF2'
```console
$ echo <id9>
```
EOF2
    [ "$status" -eq 1 ]
    [[ $output == *"<id9> is typed before anything showed it"* ]]
}

@test "a prompt that never comes fails after the timeout, showing the terminal" {
    doc stuck <<'EOF2'
```console
$ echo waiting; sleep 30
waiting
$ echo never
```
EOF2
    [ "$status" -eq 1 ]
    [[ $output == *"stuck.md:2: waited 5s for the host prompt"* ]]
    [[ $output == *"| waiting"* ]]
}
