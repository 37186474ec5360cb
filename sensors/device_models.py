"""The device models we can read, by the key a Device stores in `model`: how each one's uplink bytes decode.

A network server (The Things Stack, a vendor cloud) hands us a sensor's raw frame; the device's model says
what the bytes mean. A decoder returns the raw values it read, without judging them: whether a fill of
254% is possible is the ingest's check (sensors/ingest.py), which refuses it and raises the device's
impossible-value alarm, as it does for the same value sent as JSON.

Each decoder gets the frame's bytes and its LoRaWAN port (None when the sender gave none), and returns a
dict with some of `fill_percent`, `battery_percent`, `temperature_c`, `tilt_degrees`, `compactions`. It raises
`UnreadablePayload` for bytes it cannot read (a broken or misconfigured sensor: the alarm opens) and
`NotAReading` for a frame that carries no reading (a status or configuration message: nothing is wrong).

Byte layouts are big-endian. The two below are this product's reference layouts, which sensor firmware
and vendors' adapters write to; a vendor's own layout is one more `register(DeviceModel(...))`.
"""

import struct
from collections.abc import Callable
from dataclasses import dataclass

READINGS_PORT = 1
NO_VALUE_BYTE = 0xFF
NO_TEMPERATURE = -0x8000


class UnreadablePayload(ValueError):
    """The bytes do not fit the model's layout, or the sensor says it could not measure."""


class NotAReading(ValueError):
    """The frame is not a reading (another port's status or configuration message)."""


Decoder = Callable[[bytes, int | None], dict]


@dataclass(frozen=True)
class DeviceModel:
    key: str
    name: str
    description: str
    # None: the model sends JSON values only (or the network server decodes its bytes for us).
    decoder: Decoder | None = None


REGISTRY: dict[str, DeviceModel] = {}


def register(model: DeviceModel) -> DeviceModel:
    """Add a model to the registry (by its key); returns it."""
    REGISTRY[model.key] = model
    return model


def get(key: str) -> DeviceModel | None:
    """The registered model with this key, or None."""
    return REGISTRY.get(key)


def choices() -> list[tuple[str, str]]:
    """(key, name) of every registered model, for forms and admin."""
    return [(model.key, model.name) for model in REGISTRY.values()]


def decode(key: str, payload: bytes, port: int | None = None) -> dict:
    """The values in a frame from a device of model `key` (raises UnreadablePayload or NotAReading)."""
    model = REGISTRY.get(key)
    if model is None:
        raise NotAReading(f"The device's model {key!r} is not one we know; ask us to add its decoder.")
    if model.decoder is None:
        raise NotAReading(f"Devices of the model {model.name!r} send their values as JSON, not as bytes.")
    return model.decoder(payload, port)


def _readings_port(port: int | None) -> None:
    if port is not None and port != READINGS_PORT:
        raise NotAReading(f"Port {port} carries no readings (they come on port {READINGS_PORT}).")


def _exact_length(payload: bytes, length: int) -> None:
    if len(payload) != length:
        raise UnreadablePayload(f"Expected {length} bytes, got {len(payload)}.")


def _temperature(raw: int) -> float | None:
    return None if raw == NO_TEMPERATURE else raw / 10


def decode_ultrasonic_fill(payload: bytes, port: int | None) -> dict:
    """Ultrasonic fill sensor, 5 bytes on port 1.

    byte 0     fill, percent 0-100 (0xFF: no echo, the sensor could not measure)
    byte 1     battery, percent 0-100
    bytes 2-3  temperature, signed, tenths of a degree Celsius (0x8000: no temperature sensor)
    byte 4     tilt from upright, degrees 0-180 (0xFF: no tilt sensor)
    """
    _readings_port(port)
    _exact_length(payload, 5)
    fill, battery, temperature, tilt = struct.unpack(">BBhB", payload)
    if fill == NO_VALUE_BYTE:
        raise UnreadablePayload("The sensor could not measure the fill (no echo).")
    values = {"fill_percent": fill, "battery_percent": battery}
    if (degrees := _temperature(temperature)) is not None:
        values["temperature_c"] = degrees
    if tilt != NO_VALUE_BYTE:
        values["tilt_degrees"] = tilt
    return values


def decode_compactor(payload: bytes, port: int | None) -> dict:
    """Solar compacting bin, 6 bytes on port 1.

    bytes 0-1  compactions since it was last emptied, unsigned
    byte 2     its own equivalent fill, percent 0-100 of the compacted capacity (0xFF: not reported)
    byte 3     battery, percent 0-100
    bytes 4-5  temperature, signed, tenths of a degree Celsius (0x8000: no temperature sensor)

    Where the device has `compactions_when_full`, ingest derives the fill from the count; otherwise the
    compactor's equivalent fill is taken as sent.
    """
    _readings_port(port)
    _exact_length(payload, 6)
    compactions, fill, battery, temperature = struct.unpack(">HBBh", payload)
    values = {"compactions": compactions, "battery_percent": battery}
    if fill != NO_VALUE_BYTE:
        values["fill_percent"] = fill
    if (degrees := _temperature(temperature)) is not None:
        values["temperature_c"] = degrees
    return values


GENERIC = register(
    DeviceModel(
        key="generic",
        name="Generic (JSON values)",
        description="Sends fill_percent, battery_percent, temperature_c, tilt_degrees and compactions as JSON.",
    )
)
ULTRASONIC_FILL = register(
    DeviceModel(
        key="ultrasonic-fill-v1",
        name="Ultrasonic fill sensor (v1 layout)",
        description=decode_ultrasonic_fill.__doc__,
        decoder=decode_ultrasonic_fill,
    )
)
COMPACTOR = register(
    DeviceModel(
        key="compactor-v1",
        name="Solar compactor (v1 layout)",
        description=decode_compactor.__doc__,
        decoder=decode_compactor,
    )
)
