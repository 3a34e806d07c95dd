#!/usr/bin/env bash
# A private Postfix on loopback for the benchmarks, sourced by scripts/outside-view.sh and
# scripts/postfix-bench.sh (not run on its own). Needs root: Postfix runs as its own users.
#
#   source scripts/private-postfix.sh
#   private_postfix_start DIR PORT maildir   # mail for outside.example into DIR/postfix/mail/inbox
#   private_postfix_start DIR PORT discard   # every message accepted, queued, then discarded
#   private_postfix_stop DIR
#
# Its own configuration, queue and log under DIR/postfix; Debian's services, none
# chrooted (the private queue has no chroot tree), with one plain SMTP listener on
# 127.0.0.1:PORT in place of the `smtp inet` line. The system's Postfix is not touched.

private_postfix_start() {
    local work="$1" port="$2" mode="$3"
    local pf="$work/postfix"
    mkdir -p "$pf/etc" "$pf/queue" "$pf/data" "$pf/mail"
    chown postfix:postfix "$pf/data"
    chown nobody:nogroup "$pf/mail"
    cat >"$pf/etc/main.cf" <<CONF
compatibility_level = 3.6
queue_directory = $pf/queue
data_directory = $pf/data
mail_owner = postfix
setgid_group = postdrop
maillog_file_prefixes = $work
maillog_file = $pf/postfix.log
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = localhost
mydestination =
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
smtputf8_enable = no
biff = no
default_process_limit = 100
CONF
    case "$mode" in
        maildir)
            cat >>"$pf/etc/main.cf" <<CONF
# Every address of outside.example into one Maildir, written as nobody.
virtual_mailbox_domains = outside.example
virtual_mailbox_base = $pf/mail
virtual_mailbox_maps = static:inbox/
virtual_uid_maps = static:$(id -u nobody)
virtual_gid_maps = static:$(getent group nogroup | cut -d: -f3)
virtual_destination_concurrency_limit = 20
CONF
            ;;
        discard)
            cat >>"$pf/etc/main.cf" <<CONF
# Every message is taken into the queue (written and synced, as for real mail), then
# discarded instead of being relayed.
default_transport = discard:benchmark
relay_transport = discard:benchmark
CONF
            ;;
        *)
            echo "private_postfix_start: mode is maildir or discard, not $mode" >&2
            return 2
            ;;
    esac
    local master
    master="$(cat /etc/postfix/master.cf 2>/dev/null || cat /usr/share/postfix/master.cf.dist)"
    awk -v port="$port" '
        /^[A-Za-z0-9]/ && NF >= 8 {
            if ($1 == "smtp" && $2 == "inet") { print "127.0.0.1:" port " inet n - n - - smtpd"; next }
            if ($5 == "y" || $5 == "-") $5 = "n"
            print; next
        }
        { print }' <<<"$master" >"$pf/etc/master.cf"
    /usr/sbin/postfix -c "$pf/etc" start >/dev/null 2>&1
    for _ in $(seq 200); do
        (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && return 0
        sleep 0.05
    done
    echo "private_postfix_start: Postfix did not listen on 127.0.0.1:$port" >&2
    return 1
}

private_postfix_stop() {
    /usr/sbin/postfix -c "$1/postfix/etc" abort >/dev/null 2>&1 || true
}
