# bash completion for imgmount: commands, each command's options, image paths (files and
# directories), mountpoints and the canonical platforms.

_imgmount_commands="ls cat inspect history config manifest images export verify which diff cache status help mount"
_imgmount_image_options="--platform --image --upto -q --quiet --cache-dir --no-cache -v --verbose --tls-verify --tls-verify=false --cert-dir --authfile --creds --namespace --containerd-root -h --help"
_imgmount_platforms="linux/amd64 linux/amd64/v2 linux/amd64/v3 linux/arm64/v8 linux/arm/v7 linux/arm/v6 linux/386 linux/ppc64le linux/s390x linux/riscv64 linux/mips64le windows/amd64"

# The options of one command (those it takes beside the image options).
_imgmount_command_options() {
  case "$1" in
    ls) echo "-l -L -R -a --json" ;;
    inspect | verify | which) echo "--json" ;;
    history) echo "--no-trunc -H --human --human=false --json" ;;
    images) echo "--json --no-trunc -H --human --human=false --all" ;;
    manifest) echo "--index" ;;
    diff) echo "--json --stat --config --ignore-mtime" ;;
    mount) echo "--wait -f --foreground -d --debug -o -u -z -V --version" ;;
    cache) echo "ls gc clear --cache-dir --json --days" ;;
    status) echo "--json -h --help" ;;
    *) echo "" ;;
  esac
}

_imgmount() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=""
  [ "$COMP_CWORD" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD - 1]}
  COMPREPLY=()
  case "$prev" in
    --platform)
      mapfile -t COMPREPLY < <(compgen -W "$_imgmount_platforms" -- "$cur")
      return
      ;;
    --cache-dir | --cert-dir | --containerd-root)
      mapfile -t COMPREPLY < <(compgen -d -- "$cur")
      return
      ;;
    --authfile)
      mapfile -t COMPREPLY < <(compgen -f -- "$cur")
      return
      ;;
    --upto | --days | --image | --creds | --namespace | -o) return ;;
  esac
  # The command is the first word that is not an option or an option's value.
  local command="" i word
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=${COMP_WORDS[i]}
    case "$word" in
      --platform | --image | --upto | --cache-dir | --cert-dir | --authfile | --creds | --namespace | --containerd-root | -o) ((i++)) ;;
      -*) ;;
      *)
        command=$word
        break
        ;;
    esac
  done
  if [ -z "$command" ]; then
    if [[ "$cur" == -* ]]; then
      mapfile -t COMPREPLY < <(compgen -W "$_imgmount_image_options $(_imgmount_command_options mount)" -- "$cur")
    else
      mapfile -t COMPREPLY < <(compgen -W "$_imgmount_commands" -- "$cur")
      mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -f -- "$cur")
    fi
    return
  fi
  case "$command" in
    help)
      mapfile -t COMPREPLY < <(compgen -W "$_imgmount_commands" -- "$cur")
      return
      ;;
    status)
      if [[ "$cur" == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$(_imgmount_command_options status)" -- "$cur")
      else
        mapfile -t COMPREPLY < <(compgen -d -- "$cur")
      fi
      return
      ;;
    cache)
      mapfile -t COMPREPLY < <(compgen -W "$(_imgmount_command_options cache) -h --help" -- "$cur")
      return
      ;;
  esac
  if [[ "$cur" == -* ]]; then
    local options
    options="$_imgmount_image_options $(_imgmount_command_options "$command")"
    [ "$command" = "$(_imgmount_known_command "$command")" ] ||
      options="$_imgmount_image_options $(_imgmount_command_options mount)"
    mapfile -t COMPREPLY < <(compgen -W "$options" -- "$cur")
  else
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
  fi
}

# Prints $1 if it is a command's name (an image path otherwise: the bare mount form).
_imgmount_known_command() {
  local c
  for c in $_imgmount_commands; do [ "$c" = "$1" ] && echo "$1"; done
}

complete -F _imgmount -o filenames imgmount
