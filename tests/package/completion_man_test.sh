#!/usr/bin/env bash
# The bash completion (packaging/notewise.bash-completion) offers every command that
# `notewise --help` lists, the options of a command, the subcommands of `nae`, and file names
# for arguments; the man page (when help2man made one) has a section for every command.
# Arguments: PROGRAM SOURCE_DIR MAN_PAGE (MAN_PAGE may not exist: then that half is skipped).
set -euo pipefail
prog=$1 src=$2 man=$3
commands=$("$prog" --help | awk '/^Subcommands:/ { s = 1; next } s && /^  [a-z]/ { print $1 } s && /^[^ ]/ { s = 0 }')
n=$(wc -w <<<"$commands")
[ "$n" -ge 10 ] || { echo "only $n commands in '$prog --help'"; exit 1; }

source "$src/packaging/notewise.bash-completion"
complete -p notewise >/dev/null
# COMPREPLY for the command line "$@" (the last word is the one being completed).
offer() { COMP_WORDS=("$prog" "$@"); COMP_CWORD=$#; COMPREPLY=(); _notewise; printf '%s\n' "${COMPREPLY[@]}"; }
has() { grep -qxF -- "$2" <<<"$1" || { echo "completing [$3] does not offer $2; it offers: $(tr '\n' ' ' <<<"$1")"; exit 1; }; }
all=$(offer "")
for c in $commands; do has "$all" "$c" "notewise <TAB>"; done
[ "$(wc -l <<<"$all")" = "$n" ] || { echo "notewise <TAB> offers more than the commands: $all"; exit 1; }
has "$(offer se)" separate "notewise se<TAB>"
! grep -qxF decompose <<<"$(offer se)" || { echo "notewise se<TAB> offers decompose"; exit 1; }
has "$(offer --fo)" --force "notewise --fo<TAB>"
has "$(offer -q separate --sc)" --score "notewise -q separate --sc<TAB>"
has "$(offer separate mix.wav --score s.mid --o)" --out "notewise separate ... --o<TAB>"
has "$(offer nae "")" train "notewise nae <TAB>"
has "$(offer nae train --au)" --audio "notewise nae train --au<TAB>"
cd "$src"
has "$(offer separate examples/chopin_op64_1/mi)" examples/chopin_op64_1/mix.wav "notewise separate examples/chopin_op64_1/mi<TAB>"
echo "completion: the $n commands, options per command, nae's subcommands, file names"

if [ ! -e "$man" ]; then echo "no man page built (help2man not installed): not checked"; exit 0; fi
for c in $commands; do
  grep -qx "\.SS $c" "$man" || { echo "$man: no section for the command $c"; exit 1; }
done
grep -q '^\.TH NOTEWISE "1"' "$man" || { echo "$man: no .TH NOTEWISE 1 header"; exit 1; }
grep -qF "$("$prog" --version | awk '{print $2}')" "$man" || { echo "$man: not the program's version"; exit 1; }
if command -v man >/dev/null; then
  MANWIDTH=100 man -l "$man" 2>/dev/null | grep -q '^COMMANDS' || { echo "man -l $man: no COMMANDS section"; exit 1; }
fi
echo "man page: a section for each of the $n commands"
