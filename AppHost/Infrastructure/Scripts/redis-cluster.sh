# Joins the Redis Cluster's nodes once they answer, waits until every node says the cluster is up, then stays running as
# the cluster's resource (the services wait for it). The administrator's password arrives in the environment only.
#   REDIS_CLI            redis-cli
#   REDISCLI_AUTH        the administrator's password (read by redis-cli itself)
#   REDIS_NODES          every node as host:port, separated by spaces, primaries first
#   REDIS_REPLICAS       replicas per primary
set -eu

for node in $REDIS_NODES; do
  until "$REDIS_CLI" --no-auth-warning -h "${node%:*}" -p "${node##*:}" ping >/dev/null 2>&1; do sleep 0.2; done
done

# shellcheck disable=SC2086
"$REDIS_CLI" --no-auth-warning --cluster create $REDIS_NODES --cluster-replicas "$REDIS_REPLICAS" --cluster-yes

for node in $REDIS_NODES; do
  until "$REDIS_CLI" --no-auth-warning -h "${node%:*}" -p "${node##*:}" cluster info | grep -q '^cluster_state:ok'; do sleep 0.2; done
done
echo "The Redis Cluster is up: $REDIS_NODES"
exec tail -f /dev/null
