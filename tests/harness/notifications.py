"""Fake desktop services for the end-to-end harness (see notifications.rs): a notification
server, or logind's sleep signal.

Usage: python notifications.py EVENTS_LOG notifications [CAPABILITY,...]
       python notifications.py EVENTS_LOG logind
(with DBUS_SESSION_BUS_ADDRESS set to the bus)

notifications: owns org.freedesktop.Notifications on the session bus and serves that interface
at /org/freedesktop/Notifications; GetCapabilities answers the comma-separated CAPABILITY list
(default: actions,body,persistence; "body-markup" among them says the server reads markup in
bodies).
logind: owns org.freedesktop.login1 and emits org.freedesktop.login1.Manager.PrepareForSleep at
/org/freedesktop/login1 on request.

Appends one JSON line per event to EVENTS_LOG (flushed):
  {"event":"ready","name":...}            once the name is owned, with the unique name of its
                                          connection (also prints "ready" on stdout)
  {"event":"notify","id":..,"app":..,"replaces":..,"summary":..,"body":..,
   "actions":[[key,label],...],"hints":{..},"timeout":..}
  {"event":"close","id":..}               for each CloseNotification call
  {"event":"ack","command":...}           after a stdin command's signals reached the bus
Commands on stdin, one a line:
  action ID KEY      (notifications) emits ActionInvoked(ID, KEY), then NotificationClosed(ID, 2)
  closed ID REASON   (notifications) emits NotificationClosed(ID, REASON)
  sleep true|false   (logind) emits PrepareForSleep(true: going to sleep, false: woke up)
Exits when stdin is closed (the harness dropped it, or the test process died) or the bus goes.
"""

import asyncio
import json
import sys

from dbus_next import BusType, Message, NameFlag, RequestNameReply
from dbus_next.aio import MessageBus
from dbus_next.service import ServiceInterface, method, signal

NAME = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
LOGIND_NAME = "org.freedesktop.login1"
LOGIND_PATH = "/org/freedesktop/login1"
DEFAULT_CAPABILITIES = ["actions", "body", "persistence"]


class Log:
    """The events log: one JSON object a line, each flushed at once."""

    def __init__(self, path):
        self.file = open(path, "a", encoding="utf-8")

    def write(self, **event):
        self.file.write(json.dumps(event) + "\n")
        self.file.flush()


def simple_hints(hints):
    """String, int and bool hints as they are; anything else (image data...) as its repr."""
    out = {}
    for key, variant in hints.items():
        value = variant.value
        out[key] = value if isinstance(value, (str, int, bool)) else repr(value)
    return out


class Notifications(ServiceInterface):
    def __init__(self, log, capabilities):
        super().__init__(NAME)
        self.log = log
        self.capabilities = capabilities
        self.next_id = 1

    @method()
    def Notify(
        self,
        app_name: "s",
        replaces_id: "u",
        app_icon: "s",
        summary: "s",
        body: "s",
        actions: "as",
        hints: "a{sv}",
        expire_timeout: "i",
    ) -> "u":
        if replaces_id != 0:
            nid = replaces_id
        else:
            nid = self.next_id
            self.next_id += 1
        self.log.write(
            event="notify",
            id=nid,
            app=app_name,
            replaces=replaces_id,
            summary=summary,
            body=body,
            actions=[[actions[i], actions[i + 1] if i + 1 < len(actions) else ""] for i in range(0, len(actions), 2)],
            hints=simple_hints(hints),
            timeout=expire_timeout,
        )
        return nid

    @method()
    def CloseNotification(self, id: "u"):
        self.log.write(event="close", id=id)
        self.NotificationClosed(id, 3)

    @method()
    def GetCapabilities(self) -> "as":
        return self.capabilities

    @method()
    def GetServerInformation(self) -> "ssss":
        return ["rolecall-fake-notifications", "rolecall", "1.0", "1.2"]

    @signal()
    def NotificationClosed(self, id, reason) -> "uu":
        return [id, reason]

    @signal()
    def ActionInvoked(self, id, action_key) -> "us":
        return [id, action_key]


class Logind(ServiceInterface):
    """The one signal of logind's Manager the app listens to."""

    def __init__(self):
        super().__init__("org.freedesktop.login1.Manager")

    @signal()
    def PrepareForSleep(self, start) -> "b":
        return start


async def commands(bus, service, log):
    """Runs the commands read from stdin until it is closed."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = await reader.readline()
        if not line:
            return
        command = line.decode("utf-8", "replace").strip()
        if not command:
            continue
        words = command.split()
        notifications = isinstance(service, Notifications)
        if notifications and words[0] == "action" and len(words) == 3:
            service.ActionInvoked(int(words[1]), words[2])
            service.NotificationClosed(int(words[1]), 2)
        elif notifications and words[0] == "closed" and len(words) == 3:
            service.NotificationClosed(int(words[1]), int(words[2]))
        elif not notifications and words[0] == "sleep" and len(words) == 2 and words[1] in ("true", "false"):
            service.PrepareForSleep(words[1] == "true")
        else:
            print(f"notifications.py: unknown command {command!r}", file=sys.stderr, flush=True)
            log.write(event="error", command=command)
            continue
        # Messages on one connection are handled in order: once the bus has answered this Ping,
        # it has received (and routed) the signals sent before it.
        await bus.call(
            Message(destination="org.freedesktop.DBus", path="/org/freedesktop/DBus",
                    interface="org.freedesktop.DBus.Peer", member="Ping")
        )
        log.write(event="ack", command=command)


async def main(log_path, role, capabilities):
    log = Log(log_path)
    bus = await MessageBus(bus_type=BusType.SESSION).connect()
    if role == "logind":
        name, service = LOGIND_NAME, Logind()
        bus.export(LOGIND_PATH, service)
    else:
        name, service = NAME, Notifications(log, capabilities)
        bus.export(PATH, service)
    reply = await bus.request_name(name, NameFlag.DO_NOT_QUEUE)
    if reply != RequestNameReply.PRIMARY_OWNER:
        print(f"notifications.py: cannot own {name} on the bus ({reply.name}): another {role} service "
              "runs there", file=sys.stderr, flush=True)
        sys.exit(2)
    log.write(event="ready", name=bus.unique_name)
    print("ready", flush=True)
    disconnected = asyncio.ensure_future(bus.wait_for_disconnect())
    stdin = asyncio.ensure_future(commands(bus, service, log))
    done, _ = await asyncio.wait([disconnected, stdin], return_when=asyncio.FIRST_COMPLETED)
    for task in done:
        task.result()  # raises what the task raised, if anything


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4) or sys.argv[2] not in ("notifications", "logind") or (
        sys.argv[2] == "logind" and len(sys.argv) == 4
    ):
        sys.exit("usage: notifications.py EVENTS_LOG notifications [CAPABILITY,...] | EVENTS_LOG logind")
    caps = [c for c in sys.argv[3].split(",") if c] if len(sys.argv) == 4 else DEFAULT_CAPABILITIES
    asyncio.run(main(sys.argv[1], sys.argv[2], caps))
