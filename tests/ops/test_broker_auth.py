"""The compose broker's device authentication, against a real Mosquitto started from
config/mosquitto/compose.conf: a device signs in with its own password and publishes only
under its own topics; the internal listener takes the platform's own clients."""

from __future__ import annotations

import getpass
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
import yaml
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from services.ingestor.adapters.mqtt_source import Broker, MqttSource, Received
from services.launcher.stack import free_port
from tests.ops.support import ROOT, tool

CONFIG = ROOT / "config" / "mosquitto"


def _passwords(name: str) -> dict[str, str]:
    lines = (CONFIG / name).read_text().splitlines()
    return dict(line.split(":", 1) for line in lines if line)


PASSWORDS = _passwords("devices.dev")
PLATFORM = _passwords("platform.dev")


def _settings(text: str) -> set[str]:
    return {line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")}


def test_compose_and_dev_brokers_keep_the_settings_of_mosquitto_conf() -> None:
    wanted = {
        s
        for s in _settings((ROOT / "config" / "mosquitto.conf").read_text())
        if not s.startswith(("listener", "allow_anonymous"))
    }
    assert wanted
    assert wanted <= _settings((CONFIG / "compose.conf").read_text())
    dev = yaml.safe_load_all((ROOT / "k8s" / "overlays" / "dev" / "mosquitto.yaml").read_text())
    (config_map,) = [d for d in dev if d["kind"] == "ConfigMap"]
    assert wanted <= _settings(config_map["data"]["mosquitto.conf"])


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, int]]:
    """(device port, internal port) of a Mosquitto running compose.conf."""
    work = tmp_path_factory.mktemp("broker")
    (work / "data").mkdir()
    for source, hashed in (("devices.dev", "passwd"), ("platform.dev", "platform")):
        shutil.copy(CONFIG / source, work / hashed)
        subprocess.run([tool("mosquitto_passwd"), "-U", str(work / hashed)], check=True)
    devices, internal = free_port(), free_port()
    text = (CONFIG / "compose.conf").read_text()
    text = text.replace("/mosquitto/auth/passwd", str(work / "passwd"))
    text = text.replace("/mosquitto/auth/platform", str(work / "platform"))
    text = text.replace("/mosquitto/config/acl.conf", str(CONFIG / "acl.conf"))
    text = text.replace("/mosquitto/config/acl-platform.conf", str(CONFIG / "acl-platform.conf"))
    text = text.replace("/mosquitto/data/", f"{work / 'data'}/")
    text = re.sub(r"^listener 1883$", f"listener {devices} 127.0.0.1", text, flags=re.M)
    text = re.sub(r"^listener 1884$", f"listener {internal} 127.0.0.1", text, flags=re.M)
    # Started as root, Mosquitto switches to user `mosquitto`, who cannot read pytest's
    # private temporary folder: stay who we are.
    (work / "mosquitto.conf").write_text(f"user {getpass.getuser()}\n{text}")
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    with (work / "log").open("w") as log:
        process = subprocess.Popen(
            [binary, "-c", str(work / "mosquitto.conf")], stdout=log, stderr=log
        )
        try:
            _wait_listening(devices, internal)
            yield devices, internal
        finally:
            process.terminate()
            process.wait(5)


def _wait_listening(*ports: int) -> None:
    deadline = time.monotonic() + 10
    for port in ports:
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)


class Client:
    """A paho client (MQTT 3.1.1, as most devices), connected or refused before the
    constructor returns."""

    def __init__(self, port: int, username: str | None = None, password: str | None = None):
        self.received: list[str] = []
        self.got = threading.Condition()
        self._connected = threading.Event()
        self.dropped = threading.Event()
        self.refused: ReasonCode | None = None
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
        # Refused or dropped clients retry; a short wait lets them stop quickly.
        self.client.reconnect_delay_set(min_delay=0.05, max_delay=0.05)  # type: ignore[arg-type]
        if username:
            self.client.username_pw_set(username, password)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        assert self._connected.wait(5), "no CONNACK"

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: object,
        reason: ReasonCode,
        properties: object,
    ) -> None:
        if reason.is_failure:
            self.refused = reason
        self._connected.set()

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: object,
        reason: ReasonCode,
        properties: object,
    ) -> None:
        self.dropped.set()

    def _on_message(self, client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        with self.got:
            self.received.append(message.topic)
            self.got.notify_all()

    def publish(self, topic: str) -> None:
        self.client.publish(topic, b"{}", qos=1).wait_for_publish(5)

    def wait_for(self, topic: str) -> None:
        with self.got:
            assert self.got.wait_for(lambda: topic in self.received, 5), self.received

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def everything(broker: tuple[int, int]) -> Iterator[Client]:
    """A platform client on the internal listener that sees every message (as the ingestor)."""
    watcher = Client(broker[1], "ingestor", PLATFORM["ingestor"])
    assert watcher.refused is None
    watcher.client.subscribe("#", qos=1)
    time.sleep(0.2)
    yield watcher
    watcher.close()


def _denied(port: int, username: str, topic: str) -> None:
    """`username` publishing to `topic` is acknowledged (MQTT 3.1.1 cannot say no) but
    not delivered, and Mosquitto drops the connection."""
    client = Client(port, username, PASSWORDS[username])
    assert client.refused is None
    client.publish(topic)
    assert client.dropped.wait(5), f"{username} still connected after publishing to {topic}"
    client.close()


def test_a_device_publishes_under_its_own_topics_only(
    broker: tuple[int, int], everything: Client
) -> None:
    device = Client(broker[0], "leak-A-03-riser", PASSWORDS["leak-A-03-riser"])
    assert device.refused is None
    device.publish("maint/demo/leak-A-03-riser/telemetry")
    device.publish("maint/demo/leak-A-03-riser/alert")
    everything.wait_for("maint/demo/leak-A-03-riser/alert")
    device.close()
    for topic in (
        "maint/demo/power-A-main/telemetry",
        "maint/demo/elevator-A-E1/alert",
        "tele/power-A-main/SENSOR",
        "zigbee2mqtt/kitchen_leak",
    ):
        _denied(broker[0], "leak-A-03-riser", topic)
    time.sleep(0.3)
    assert everything.received == [
        "maint/demo/leak-A-03-riser/telemetry",
        "maint/demo/leak-A-03-riser/alert",
    ]


def test_a_bridge_publishes_under_its_prefix(broker: tuple[int, int], everything: Client) -> None:
    bridge = Client(broker[0], "zigbee2mqtt", PASSWORDS["zigbee2mqtt"])
    assert bridge.refused is None
    bridge.publish("zigbee2mqtt/kitchen_leak")
    everything.wait_for("zigbee2mqtt/kitchen_leak")
    bridge.close()
    _denied(broker[0], "zigbee2mqtt", "maint/demo/leak-A-03-riser/alert")
    time.sleep(0.3)
    assert everything.received == ["zigbee2mqtt/kitchen_leak"]


@pytest.mark.parametrize(
    ("username", "password"),
    [
        (None, None),
        ("leak-A-03-riser", "wrong"),
        ("leak-A-03-riser", PASSWORDS["power-A-main"]),
        ("nobody", "x"),
    ],
)
def test_without_its_own_password_a_device_is_refused(
    broker: tuple[int, int], username: str | None, password: str | None
) -> None:
    client = Client(broker[0], username, password)
    client.close()
    assert client.refused is not None
    assert client.refused.getName() in {"Not authorized", "Bad user name or password"}


def test_device_passwords_differ() -> None:
    assert len(set(PASSWORDS.values())) == len(PASSWORDS) >= 4
    assert Path(CONFIG / "acl.conf").is_file()


@pytest.mark.parametrize(
    ("username", "password"),
    [(None, None), ("ingestor", "wrong"), ("leak-A-03-riser", PASSWORDS["leak-A-03-riser"])],
)
def test_the_internal_listener_takes_only_the_platforms_own_clients(
    broker: tuple[int, int], username: str | None, password: str | None
) -> None:
    client = Client(broker[1], username, password)
    client.close()
    assert client.refused is not None


def test_the_ingestor_signs_in_from_its_url_and_reads_through_a_shared_subscription(
    broker: tuple[int, int],
) -> None:
    """The ingestor's own MQTT adapter, with MQTT_URL's user and password, receives what a
    device publishes; the simulator's account publishes but reads nothing."""
    url = f"mqtt://ingestor:{PLATFORM['ingestor']}@127.0.0.1:{broker[1]}"
    source = MqttSource(Broker.from_url(url), "ingestor-auth-test", ("maint/+/+/alert",),
                        "ingestors", 100)  # fmt: skip
    source.start()
    try:
        assert source.connected.wait(10), "the ingestor was not let in"
        time.sleep(0.3)
        simulator = Client(broker[1], "sensors_sim", PLATFORM["sensors_sim"])
        assert simulator.refused is None
        simulator.client.subscribe("maint/#", qos=1)
        simulator.publish("maint/demo/leak-A-03-riser/alert")
        deadline, got = time.monotonic() + 10, list[Received]()
        while not got and time.monotonic() < deadline:
            got = source.take(10)
            time.sleep(0.05)
        assert [r.inbound.topic for r in got] == ["maint/demo/leak-A-03-riser/alert"]
        time.sleep(0.3)
        assert simulator.received == []  # it may write, not read
        simulator.close()
    finally:
        source.stop()
