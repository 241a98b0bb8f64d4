# Joins the RabbitMQ nodes into one cluster once each has started: every node after the first joins the first, then every
# quorum queue is grown onto it (a queue declared while its node stood alone has that node only). Then it marks the cluster
# joined and stays running as the cluster's resource (the services wait for it).
#   RABBITMQCTL, RABBITMQ_QUEUES   RabbitMQ's command-line tools
#   RABBITMQ_CLUSTER_NODES         the nodes' names, separated by spaces, the first one the cluster's seed
#   RABBITMQ_CLUSTER_READY         the file written once the cluster is joined
#   HOME, ERL_EPMD_PORT            the nodes' shared cookie and epmd
set -eu

seed=${RABBITMQ_CLUSTER_NODES%% *}
count=0
for node in $RABBITMQ_CLUSTER_NODES; do
  "$RABBITMQCTL" -q -n "$node" await_startup --timeout 120
  count=$((count + 1))
  if [ "$node" != "$seed" ]; then
    "$RABBITMQCTL" -q -n "$node" stop_app
    "$RABBITMQCTL" -q -n "$node" join_cluster "$seed"
    "$RABBITMQCTL" -q -n "$node" start_app
  fi
done

"$RABBITMQCTL" -q -n "$seed" await_online_nodes "$count" --timeout 120
for node in $RABBITMQ_CLUSTER_NODES; do
  if [ "$node" != "$seed" ]; then
    "$RABBITMQ_QUEUES" -q -n "$seed" grow "$node" all
  fi
done

touch "$RABBITMQ_CLUSTER_READY"
echo "The RabbitMQ cluster is up: $RABBITMQ_CLUSTER_NODES"
exec tail -f /dev/null
