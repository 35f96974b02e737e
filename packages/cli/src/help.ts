/** The texts of `mqtt --help`, `mqtt pub --help` and `mqtt sub --help`. */

const COMMON = `Connection:
  -h, --host HOST        broker host (default localhost); a,b,c: a cluster's nodes, tried in order
  -p, --port PORT        broker port (default 1883, or 8883 with TLS)
  -L, --url URL          mqtt(s)://[user[:password]@]host[:port]/topic, instead of -h -p -u -P -t
  -i, --id ID            client id (default mqtt-pub-<random> / mqtt-sub-<random>)
  -u, --username USER    user name
  -P, --pw PASSWORD      password (needs -u)
  -k, --keepalive SEC    keepalive in seconds (default 60; 0 = off)
  -c, --disable-clean-session
                         the broker keeps the session (subscriptions, QoS 1/2 messages) while
                         the client is away; needs -i
  -q, --qos 0|1|2        QoS (default 0)
  -W, --timeout SEC      give up after SEC seconds (sub: counted from the connection; pub: wait
                         for acknowledgements); also shortens the wait for the connection
  -V, --protocol-version 311|mqttv311|5|mqttv5
                         MQTT 3.1.1 (the default) or MQTT 5; 3.1 (31, mqttv31) is not supported
  -x SEC                 MQTT 5 session expiry interval: the broker keeps the session SEC seconds
                         after the link ends (-1 or ∞: for ever, -c's default on MQTT 5)
  -D, --property COMMAND IDENTIFIER VALUE
                         an MQTT 5 property, as mosquitto's -D (implies -V 5); COMMAND is
                         connect, will, @COMMANDS@; IDENTIFIER in mosquitto's spelling
                         (content-type, user-property NAME VALUE, message-expiry-interval, …)
  -d, --debug            every packet sent and received, and what the command does, on stderr
Last will (published by the broker if the connection dies without a goodbye):
  --will-topic TOPIC     where to publish it
  --will-payload TEXT    what to publish (default empty)
  --will-qos 0|1|2       its QoS (default 0)
  --will-retain          the broker keeps it for later subscribers
TLS (any of these turns TLS on):
  --cafile FILE          trust the CA certificate in FILE (PEM), instead of the system's CAs
  --capath DIR           trust every PEM certificate in DIR (as openssl rehash leaves it)
  --cert FILE --key FILE client certificate and its key (PEM)
  --insecure             accept any certificate, unchecked (test brokers only; unlike mosquitto's
                         --insecure, which skips only the host name check)
  --help                 this text
  --version              the version of mqtt`

const EXIT_CODES = `Exit codes:
  0   done (sub: also on Ctrl-C, or when the reader of stdout is gone, as with | head)
  1   the broker broke the protocol, or something else went wrong
  2   bad command line (unknown flag, missing value, bad number, unreadable file)
  3   invalid topic (pub) or topic filter (sub); the message says which rule it breaks
  4   broker unreachable: unknown host, nothing listening, no answer in time
  5   not allowed: bad user name or password, not authorized, subscription or (MQTT 5)
      message refused; the broker's reason code is printed
  6   TLS failed: handshake, or the broker's certificate was not accepted
  7   connection refused for another reason (protocol version, client id)
  27  timed out (-W): too few messages (sub), no acknowledgement (pub)
  130 interrupted (Ctrl-C) before pub was done`

const withCommands = (commands: string): string => COMMON.replace('@COMMANDS@', commands)

export const HELP = {
  pub: `Usage: mqtt pub -t TOPIC (-m MESSAGE | -f FILE | -n | -l | -s) [options]
Publishes one message, or one per line of stdin (-l), then disconnects.
  -t, --topic TOPIC      topic to publish to
  -m, --message TEXT     the message (may start with -: -m -5 sends "-5")
  -f, --file FILE        the message is the content of FILE
  -n, --null-message     an empty message (with -r: clears the retained message)
  -l, --stdin-line       one message per line of stdin, until it ends
  -s, --stdin-file       the message is all of stdin
  -r, --retain           the broker keeps the message for later subscribers
  --repeat N             publish the message N times
  --repeat-delay SEC     wait SEC seconds (0.5 works) between repeats
${withCommands('publish, disconnect')}
${EXIT_CODES}
`,
  sub: `Usage: mqtt sub -t FILTER [-t FILTER …] [options]
Prints each message received (its payload, one per line; with -v the topic first). A lost link
is reconnected with backoff and the filters subscribed again, until -C, -W or Ctrl-C.
  -t, --topic FILTER     topic filter to subscribe to (+ one level, # the rest); repeat for more
  -v, --verbose          print "topic payload"
  -C, --count N          exit after N messages
  -R, --no-retained      do not print (or count) retained messages, only new ones
  -N, --no-eol           no newline after each message
  -F, --format FORMAT    print FORMAT for each message: %t topic, %p payload, %l its length,
                         %q QoS, %r retained (0/1), %c client id, %x %X payload in hex,
                         %I ISO 8601 time, %U Unix time, %j JSON of it all, %% a %;
                         MQTT 5: %P user properties (name:value …), %R response topic,
                         %D correlation data, %C content type, %E message expiry, %F payload
                         format indicator, %S subscription identifier, %A topic alias;
                         \\n \\t \\\\ \\0 \\a \\e \\r \\v escapes
${withCommands('subscribe')}
${EXIT_CODES}
`,
}

export const GENERAL = `Usage: mqtt pub [options]   publish (like mosquitto_pub)
       mqtt sub [options]   subscribe and print (like mosquitto_sub)
       mqtt pub --help, mqtt sub --help, mqtt --version
In a checkout of the repository: pnpm -s mqtt pub … (-s keeps pnpm's own lines out of the output).

${EXIT_CODES}
`
