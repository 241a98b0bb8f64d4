# Starts redis-server with a user per service. Every secret arrives in the environment and is written only to files
# readable by this user: the ACL file holds SHA-256 digests of the passwords, never the passwords, and no password is
# ever an argument of a process.
#   REDIS_SERVER, REDIS_BIND, REDIS_PORT, REDIS_DATA  the program, where it listens, its data folder
#   REDIS_PASSWORD                                    the default (administrator) user's password
#   REDIS_USERS                                       the service users' names, separated by spaces
#   REDIS_USER_<name>_PASSWORD, REDIS_USER_<name>_RULES  each one's password and ACL rules
#   REDIS_CLUSTER_PORT                                (optional) a Redis Cluster node's bus port: the node joins a cluster,
#                                                     and as a replica it logs in to its primary as the administrator
#                                                     (that password then in redis.conf, readable by this user only)
set -eu
umask 077
mkdir -p "$REDIS_DATA"
chmod 700 "$REDIS_DATA"

digest() { printf '%s' "$1" | sha256sum | cut -d ' ' -f 1; }

{
  printf 'user default on #%s ~* &* +@all\n' "$(digest "$REDIS_PASSWORD")"
  for user in $REDIS_USERS; do
    eval "password=\$REDIS_USER_${user}_PASSWORD rules=\$REDIS_USER_${user}_RULES"
    printf 'user %s on #%s %s\n' "$user" "$(digest "$password")" "$rules"
  done
} > "$REDIS_DATA/users.acl"

cat > "$REDIS_DATA/redis.conf" <<CONF
bind $REDIS_BIND
port $REDIS_PORT
dir $REDIS_DATA
appendonly yes
appendfsync everysec
save ""
daemonize no
aclfile $REDIS_DATA/users.acl
CONF

if [ -n "${REDIS_CLUSTER_PORT:-}" ]; then
  cat >> "$REDIS_DATA/redis.conf" <<CONF
cluster-enabled yes
cluster-port $REDIS_CLUSTER_PORT
cluster-config-file $REDIS_DATA/nodes.conf
cluster-node-timeout 3000
masteruser default
masterauth $REDIS_PASSWORD
CONF
fi

exec "$REDIS_SERVER" "$REDIS_DATA/redis.conf"
