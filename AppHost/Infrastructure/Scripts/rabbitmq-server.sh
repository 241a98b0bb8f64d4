# Starts RabbitMQ with a user per service, their permissions and the queues' bounds, all loaded from a definitions file
# at every boot. Secrets arrive in the environment and are written only to files readable by this user.
#   RABBITMQ_START                                   the command that starts the server
#   RABBITMQ_DEFINITIONS, RABBITMQ_DEFINITIONS_CONF  where the definitions file and the configuration naming it go
#   RABBITMQ_DEFAULT_USER, RABBITMQ_DEFAULT_PASS     the administrator
#   RABBITMQ_USERS                                   the service users' names, separated by spaces
#   RABBITMQ_USER_<name>_PASSWORD, RABBITMQ_USER_<name>_PERMISSIONS  each one's password and permissions (JSON members)
#   RABBITMQ_TOPOLOGY                                exchanges, queues, bindings and policies (JSON members)
#   RABBITMQ_OWNER                                   the system user the server runs as, when it is not this one
set -eu
umask 077

plain() {
  case "$2" in
    *'"'* | *'\'* | '') echo "The RabbitMQ password of '$1' must not be empty or contain a quote or a backslash." >&2; exit 1 ;;
  esac
}

plain "$RABBITMQ_DEFAULT_USER" "$RABBITMQ_DEFAULT_PASS"
mkdir -p "$(dirname "$RABBITMQ_DEFINITIONS")" "$(dirname "$RABBITMQ_DEFINITIONS_CONF")"
{
  printf '{"vhosts":[{"name":"/"}],"users":[{"name":"%s","password":"%s","tags":"administrator"}' \
    "$RABBITMQ_DEFAULT_USER" "$RABBITMQ_DEFAULT_PASS"
  for user in $RABBITMQ_USERS; do
    eval "password=\$RABBITMQ_USER_${user}_PASSWORD"
    plain "$user" "$password"
    printf ',{"name":"%s","password":"%s","tags":""}' "$user" "$password"
  done
  printf '],"permissions":[{"user":"%s","vhost":"/","configure":".*","write":".*","read":".*"}' "$RABBITMQ_DEFAULT_USER"
  for user in $RABBITMQ_USERS; do
    eval "permissions=\$RABBITMQ_USER_${user}_PERMISSIONS"
    printf ',{"user":"%s","vhost":"/",%s}' "$user" "$permissions"
  done
  printf '],%s}\n' "$RABBITMQ_TOPOLOGY"
} > "$RABBITMQ_DEFINITIONS"
printf 'load_definitions = %s\n' "$RABBITMQ_DEFINITIONS" > "$RABBITMQ_DEFINITIONS_CONF"
if [ -n "${RABBITMQ_OWNER:-}" ]; then
  chown "$RABBITMQ_OWNER" "$RABBITMQ_DEFINITIONS" "$RABBITMQ_DEFINITIONS_CONF"
fi

exec $RABBITMQ_START
