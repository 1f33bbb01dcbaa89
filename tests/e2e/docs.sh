#!/usr/bin/env bash
# What a packager and a new user meet: the README's order and words, the plain CMake build
# (warnings not fatal, no tests with -DBUILD_TESTING=OFF), what `cmake --install` puts where
# Debian keeps it, a man page that renders cleanly and names every command and option the
# binary's own help names, and bash and zsh completions that offer them too.
source "$(dirname "$0")/lib.sh"

SRC=$IMGMOUNT_SOURCE_DIR
BUILD=$(dirname "$(dirname "$IMGMOUNT")")

# --- README -------------------------------------------------------------------------------
readme=$SRC/README.md
first=$(awk '/^    [^ ]/ { sub(/^    /, ""); print; exit }' "$readme")
second=$(awk '/^    [^ ]/ { n++; if (n == 2) { sub(/^    /, ""); print; exit } }' "$readme")
[ "$first" = "scripts/setup.sh && scripts/demo.sh" ] || fail "README's first command is '$first'"
[ "$second" = "scripts/test.sh" ] || fail "README's second command is '$second'"
order=$(grep -n '^## ' "$readme" | cut -d: -f2- | tr '\n' '|')
[ "$order" = "## Usage|## How it works|## Development|" ] ||
  fail "README's sections are '$order', not Usage, How it works, Development"
if (cd "$SRC" && grep -niE '\bissues?\b|\bgoals?\b|\.\./shared|DESIGN\.md' README.md docs/*.md); then
  fail "README or docs/ use words that mean something only to the developers"
fi

# --- the commands and options the binary itself names ----------------------------------------
# Commands: the words `imgmount --help` lists in its command section.
commands=$("$IMGMOUNT" --help | awk '/^[A-Za-z ]*[Cc]ommands:?$/ { on = 1; next }
  on && /^[^ ]/ { on = 0 } on && /^  [a-z]/ { print $1 }' | sort -u)
[ -n "$commands" ] || fail "imgmount --help lists no commands"
for must in ls cat inspect export verify which diff cache status help; do
  grep -qx "$must" <<< "$commands" || fail "imgmount --help does not list '$must'"
done
# options_of COMMAND: every option its --help lists in its option columns ("  -H,--human ...").
options_of() {
  "$IMGMOUNT" "$1" --help | grep -E '^  -' | awk '{print $1}' | tr ',' '\n' | grep -E '^-' |
    sort -u
}

# --- the man page ----------------------------------------------------------------------------
man_page=$SRC/docs/imgmount.1
warnings=$(LC_ALL=C.UTF-8 MANWIDTH=100 man --warnings -E UTF-8 -l "$man_page" 2>&1 > "$WORK/man.txt")
[ -z "$warnings" ] || fail "man page renders with warnings: $warnings"
for command in $commands; do
  grep -qE "^   {4}$command( |$)|^   {4}cache $command" "$WORK/man.txt" ||
    grep -qE "^       $command( |$)" "$WORK/man.txt" || fail "man page has no entry for '$command'"
  for option in $(options_of "$command"); do
    grep -qF -- "$option" "$WORK/man.txt" || fail "man page does not name $command's option $option"
  done
done
for option in $(options_of mount); do
  grep -qF -- "$option" "$WORK/man.txt" || fail "man page does not name the mount's option $option"
done

# --- bash completion -------------------------------------------------------------------------
# complete WORDS...: what the bash completion offers for the last word.
complete_words() {
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _imgmount
    printf "%s\n" "${COMPREPLY[@]}"' complete "$SRC/scripts/completions/imgmount.bash" "$@"
}
offered=$(complete_words imgmount "")
for command in $commands; do
  grep -qx "$command" <<< "$offered" || fail "bash completion does not offer '$command'"
done
for command in $commands; do
  [ "$command" = help ] && continue
  [ "$command" = cache ] && continue
  offered=$(complete_words imgmount "$command" -)
  for option in $(options_of "$command"); do
    grep -qx -- "$option" <<< "$offered" ||
      fail "bash completion does not offer $command's option $option"
  done
done
offered=$(complete_words imgmount --platform linux/arm)
grep -qx linux/arm64/v8 <<< "$offered" || fail "bash completion does not offer linux/arm64/v8"
mkdir -p "$WORK/images/oci-layout"
touch "$WORK/images/node.tar"
offered=$(cd "$WORK/images" && complete_words imgmount ls n)
grep -qx node.tar <<< "$offered" || fail "bash completion does not offer the image file node.tar"
offered=$(cd "$WORK/images" && complete_words imgmount inspect o)
grep -qx oci-layout <<< "$offered" || fail "bash completion does not offer the layout directory"

# --- zsh completion --------------------------------------------------------------------------
zsh -n "$SRC/scripts/completions/_imgmount" || fail "the zsh completion does not parse"
for command in $commands; do
  grep -qE "'$command:" "$SRC/scripts/completions/_imgmount" ||
    fail "zsh completion does not offer '$command'"
done

# --- install ---------------------------------------------------------------------------------
cmake --install "$BUILD" --prefix "$WORK/prefix" > "$WORK/install.log" ||
  fail "cmake --install failed: $(cat "$WORK/install.log")"
for file in bin/imgmount share/man/man1/imgmount.1 share/bash-completion/completions/imgmount \
  share/zsh/vendor-completions/_imgmount; do
  [ -f "$WORK/prefix/$file" ] || fail "cmake --install does not put $file"
done

# --- the plain CMake path (once: the release build runs it) ----------------------------------
if [ -z "${IMGMOUNT_SANITIZE:-}" ]; then
  cmake -S "$SRC" -B "$WORK/plain" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
    > "$WORK/plain.log" 2>&1 || fail "plain Release configure failed: $(tail "$WORK/plain.log")"
  targets=$(cmake --build "$WORK/plain" --target help 2> /dev/null)
  grep -q '\bimgmount$' <<< "$targets" || fail "-DBUILD_TESTING=OFF builds no imgmount"
  grep -qE 'imgmount_tests|imgmount-fixture|fuzz' <<< "$targets" &&
    fail "-DBUILD_TESTING=OFF still builds tests, fixtures or fuzz seeds"
  # GCC 12's -O3 -Wrestrict once stopped the test image writer in a plain Release build.
  cmake -S "$SRC" -B "$WORK/plain-tests" -DCMAKE_BUILD_TYPE=Release -DIMGMOUNT_WERROR=ON \
    > "$WORK/plain-tests.log" 2>&1 || fail "plain Release configure with tests failed"
  make -C "$WORK/plain-tests/tests/support" tar_writer.cpp.o > "$WORK/tar_writer.log" 2>&1 ||
    fail "tests/support/tar_writer.cpp does not build at -O3 -Werror: $(tail "$WORK/tar_writer.log")"
else
  say "the plain CMake build is checked by the release variant"
fi

finish
