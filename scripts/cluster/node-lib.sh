# shellcheck shell=bash
# What the cluster containers' entry points share (entrypoint.sh for the compose cluster,
# slurm-node.sh for the Slurm cluster). Source it; it defines functions and changes nothing.

# User $1 takes the owner of folder $2 as its uid and gid when that owner is not root, so that
# what it writes into a bind-mounted host folder belongs to the host's user.
adopt_folder_owner() {
  local user=$1 folder=$2 owner group
  [ -d "$folder" ] || return 0
  owner=$(stat -c %u "$folder") group=$(stat -c %g "$folder")
  if [ "$owner" != 0 ] && [ "$owner" != "$(id -u "$user")" ]; then
    groupmod -o -g "$group" "$user"
    usermod -o -u "$owner" -g "$group" "$user"
  fi
}

# Runs "$@" once for the whole cluster: under a lock in the shared folder $1 (every container
# mounts it), and only while file $2 there is missing or empty; waits up to $3 s for the lock.
once_under_lock() {  # folder file seconds command...
  local folder=$1 file=$2 seconds=$3
  shift 3
  mkdir -p "$folder"
  (
    flock -w "$seconds" 9 || { echo "error: could not lock $folder/.lock within $seconds s" >&2; exit 1; }
    [ -s "$folder/$file" ] || "$@"
  ) 9> "$folder/.lock"
}
