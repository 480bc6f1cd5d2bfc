#!/bin/sh
# copy_listed FROM TO LIST: copies the files LIST names (paths relative to FROM, one a line)
# from FROM to TO, their times the copy's. tar reads the list where it can (GNU tar, most
# busybox builds); a busybox built without tar's -T copies file by file.
copy_listed() {
    if tar -cf /dev/null -T /dev/null 2>/dev/null; then
        tar -C "$1" -cf - -T "$3" | tar -C "$2" -xmf -
        return
    fi
    while read -r f; do
        mkdir -p "$2/${f%/*}" && cp "$1/$f" "$2/$f" || return 1
    done <"$3"
}
